// SPDX-License-Identifier: GPL-2.0
/*
 * bigbuf per-user accounting against RLIMIT_MEMLOCK.
 *
 * Every buffer a task allocates is charged to the task's user (struct
 * user_struct) in pages on user->locked_vm, the counter mlock(), io_uring
 * and iommufd charge too, against RLIMIT_MEMLOCK of the allocating task, as
 * io_uring's __io_account_mem() does.  CAP_IPC_LOCK lifts the limit; the
 * pages are counted all the same.  The buffer holds a reference to the user
 * (get_uid()) until the charge is returned, exactly when the buffer's pages
 * go back to the kernel (bb_buffer_release()), whoever holds the buffer
 * then: a file or mapping passed to another user's process stays charged
 * to the user who allocated.
 *
 * user->locked_vm is shared with the rest of the kernel, so the module
 * keeps its own tally of what each user holds through it, for
 * stats/users_bytes_held in sysfs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include "bigbuf_internal.h"

/**
 * struct bb_acct_user - what one user holds through bigbuf
 * @node:  on bb_acct_users
 * @uid:   the user
 * @pages: pages of the buffers charged to it, > 0 while on the list
 */
struct bb_acct_user {
	struct list_head node;
	kuid_t uid;
	unsigned long pages;
};

/*
 * Guards bb_acct_users and the @pages of every entry on it.  A spinlock:
 * the uncharge runs in the ->release of the last file or mapping of a
 * buffer, and nothing is allocated under it.  Taken alone, never nested.
 */
static DEFINE_SPINLOCK(bb_acct_lock);
static LIST_HEAD(bb_acct_users);

static struct bb_acct_user *bb_acct_find(kuid_t uid)
{
	struct bb_acct_user *u;

	lockdep_assert_held(&bb_acct_lock);
	list_for_each_entry(u, &bb_acct_users, node)
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/*
 * Add @nr_pages to @user's locked_vm unless that exceeds the caller's
 * RLIMIT_MEMLOCK and the caller lacks CAP_IPC_LOCK (asked only then, so
 * that allocations within the limit raise no capability audit).  All or
 * nothing.
 */
static int bb_acct_locked_vm(struct user_struct *user, unsigned long nr_pages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	bool unlimited = false;
	long cur, new;

	cur = atomic_long_read(&user->locked_vm);
	do {
		new = cur + nr_pages;
		if (!unlimited && (unsigned long)new > limit) {
			if (!capable(CAP_IPC_LOCK))
				return -EDQUOT;
			unlimited = true;
		}
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	return 0;
}

/**
 * bb_acct_charge - charge a new buffer to the calling task's user
 * @nr_pages: the buffer's size in pages
 *
 * Context: process context, may sleep.
 * Return: the user charged, with a reference the caller gives back through
 * bb_acct_uncharge(); ERR_PTR(-EDQUOT) over RLIMIT_MEMLOCK without
 * CAP_IPC_LOCK, ERR_PTR(-ENOMEM).  Nothing is charged on failure.
 */
struct user_struct *bb_acct_charge(unsigned long nr_pages)
{
	struct user_struct *user = current_user();
	struct bb_acct_user *u, *fresh = NULL;
	int ret;

	ret = bb_acct_locked_vm(user, nr_pages);
	if (ret)
		goto out;

	spin_lock(&bb_acct_lock);
	u = bb_acct_find(user->uid);
	if (!u) {
		/* The user's first buffer: allocate outside the lock, look again. */
		spin_unlock(&bb_acct_lock);
		fresh = kzalloc_obj(*fresh, GFP_KERNEL);
		if (!fresh) {
			ret = -ENOMEM;
			goto out_locked_vm;
		}
		fresh->uid = user->uid;
		spin_lock(&bb_acct_lock);
		u = bb_acct_find(user->uid);
		if (!u) {
			list_add_tail(&fresh->node, &bb_acct_users);
			u = fresh;
			fresh = NULL;
		}
	}
	u->pages += nr_pages;
	spin_unlock(&bb_acct_lock);
	kfree(fresh);
	return get_uid(user);

out_locked_vm:
	atomic_long_sub(nr_pages, &user->locked_vm);
out:
	return ERR_PTR(ret);
}

/**
 * bb_acct_uncharge - return a buffer's charge and its user reference
 * @user:     what bb_acct_charge() returned for it
 * @nr_pages: what it was charged
 *
 * Context: any context that may take a spinlock; does not sleep.
 */
void bb_acct_uncharge(struct user_struct *user, unsigned long nr_pages)
{
	struct bb_acct_user *u, *gone = NULL;

	spin_lock(&bb_acct_lock);
	u = bb_acct_find(user->uid);
	if (!WARN_ON_ONCE(!u || u->pages < nr_pages)) {
		u->pages -= nr_pages;
		if (!u->pages) {
			list_del(&u->node);
			gone = u;
		}
	}
	spin_unlock(&bb_acct_lock);
	kfree(gone);
	atomic_long_sub(nr_pages, &user->locked_vm);
	free_uid(user);
}

/**
 * bb_acct_show - sysfs stats/users_bytes_held
 * @page: the sysfs page
 *
 * One "<uid> <bytes>" line per user holding buffers, uids as seen from the
 * initial user namespace, in the order of their first buffer; the list
 * ends early rather than overflow the page (past about 150 users).
 *
 * Return: bytes written.
 */
ssize_t bb_acct_show(char *page)
{
	struct bb_acct_user *u;
	int len = 0;

	spin_lock(&bb_acct_lock);
	list_for_each_entry(u, &bb_acct_users, node)
		len += sysfs_emit_at(page, len, "%u %llu\n",
				     from_kuid_munged(&init_user_ns, u->uid),
				     (u64)u->pages << PAGE_SHIFT);
	spin_unlock(&bb_acct_lock);
	return len;
}
