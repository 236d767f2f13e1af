# shellcheck shell=bash
# Common helpers for the kmod/vm harness. Sourced, not executed.

# Paths: the repository is two levels above this directory (never hard-code a checkout path).
# shellcheck disable=SC2034 # used by the scripts that source this file
VM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(cd "$VM_DIR/../.." && pwd -P)"
KMOD_DIR="$REPO_DIR/kmod"
BUILD_DIR="$REPO_DIR/build/vm"

# Kernel flavours we test: the one of the linux-image-amd64 metapackage (6.1 on bookworm),
# the newest installed 6.12 backport, and the newest 7.3 of trixie-backports (not installable on
# the bookworm host: kmod/vm/setup unpacks it into the kernel cache, see below).
readonly KERNEL_METAPACKAGE=linux-image-amd64
readonly KERNEL_BACKPORT_SERIES=6.12
readonly KERNEL_FLAVOUR_SUFFIX=+deb12-amd64
readonly KERNEL_TRIXIE_SERIES=7.3
readonly KERNEL_TRIXIE_SUFFIX=+deb13-amd64
# Package-name pattern for flavours we never test (realtime, cloud, debug symbols, unsigned).
readonly KERNEL_EXCLUDE_RE='-(rt|cloud|dbg|unsigned)'

# Guest kernels that are not installed on the host live in a cache outside the checkout, one
# directory per kernel version:
#   $KERNEL_CACHE/<kver>/vmlinuz (or bzImage)   the image to boot
#   $KERNEL_CACHE/<kver>/lib/modules/<kver>/   its module tree, modules.dep made by depmod -b
#   $KERNEL_CACHE/<kver>/config                its .config (optional)
#   $KERNEL_CACHE/<kver>/build.conf            KEY=VALUE lines: KDIR=<headers or build tree>,
#                                              BUILD_ROOT=trixie when KDIR is a path inside the
#                                              trixie root (kmod/vm/trixie-root) and module
#                                              builds must run there; for kmod/vm/boot:
#                                              BOOT=bzimage (no PVH vmlinux), CMDLINE=<words
#                                              the kernel always needs>
# kmod/vm/setup fills it for Debian's 7.3; other kernels (a debug build) may add directories.
BIGBUF_CACHE=${BIGBUF_CACHE:-/var/cache/bigbuf}
KERNEL_CACHE=$BIGBUF_CACHE/kernels
TRIXIE_ROOT=${BIGBUF_TRIXIE_ROOT:-$BIGBUF_CACHE/trixie-root}

die() { printf '%s: error: %s\n' "${PROG:-${0##*/}}" "$*" >&2; exit 2; }
warn() { printf '%s: %s\n' "${PROG:-${0##*/}}" "$*" >&2; }
info() { printf '%s: %s\n' "${PROG:-${0##*/}}" "$*" >&2; }

# --- where a kernel's parts are (host-installed or cached) ------------------------------------
# Value of KEY in the cache's build.conf of kernel $1 (nothing if there is none).
kernel_conf() {
    local f=$KERNEL_CACHE/$1/build.conf
    [[ -r $f ]] || return 0
    sed -n "s/^$2=//p" "$f" | tail -n1
}
# Is kernel $1 in the kernel cache (image and module tree there)?
kernel_cached() {
    local d=$KERNEL_CACHE/$1
    [[ -n $1 && ( -r $d/vmlinuz || -r $d/bzImage ) && -d $d/lib/modules/$1 ]]
}
# Path of the image to boot for kernel $1 (bzImage format; boot may extract a vmlinux from it).
kernel_image() {
    local d=$KERNEL_CACHE/$1
    if kernel_cached "$1"; then
        if [[ -r $d/vmlinuz ]]; then printf '%s\n' "$d/vmlinuz"; else printf '%s\n' "$d/bzImage"; fi
    else
        printf '%s\n' "/boot/vmlinuz-$1"
    fi
}
# The directory holding lib/modules/$1: / for host-installed kernels, the cache dir otherwise.
kernel_modules_dir() {
    if kernel_cached "$1"; then printf '%s\n' "$KERNEL_CACHE/$1"; else printf '/\n'; fi
}
# The .config of kernel $1, or nothing.
kernel_config() {
    local f
    for f in "$KERNEL_CACHE/$1/config" "$KERNEL_CACHE/$1/lib/modules/$1/config" "/boot/config-$1"; do
        if [[ -r $f ]]; then printf '%s\n' "$f"; return 0; fi
    done
}
# Exit 0 when modules for kernel $1 must be built inside the trixie root (kmod/vm/trixie-root).
kernel_needs_trixie() {
    kernel_cached "$1" && [[ $(kernel_conf "$1" BUILD_ROOT) == trixie ]]
}
# KDIR for module builds against kernel $1, as the build sees it: a path inside the trixie root
# when kernel_needs_trixie, else a host path (the resolved /lib/modules/<kver>/build link).
kernel_build_dir() {
    local kver=$1 kdir
    if kernel_cached "$kver"; then
        kdir=$(kernel_conf "$kver" KDIR)
        [[ -n $kdir ]] || kdir=$KERNEL_CACHE/$kver/lib/modules/$kver/build
        if kernel_needs_trixie "$kver"; then printf '%s\n' "$kdir"; else readlink -f "$kdir"; fi
        return 0
    fi
    readlink -f "/lib/modules/$kver/build"
}
# KDIR of kernel $1 as a path on the host (inside the trixie root's directory if need be; a
# build.conf with BIND_KDIR=1 names a host path that module builds bind-mount into the root at
# the same path: the debug kernel's build tree, see kmod/vm/debug-kernel).
kernel_build_dir_on_host() {
    local kdir
    kdir=$(kernel_build_dir "$1")
    if kernel_needs_trixie "$1" && [[ $(kernel_conf "$1" BIND_KDIR) != 1 ]]; then
        printf '%s\n' "$TRIXIE_ROOT$kdir"
    else
        printf '%s\n' "$kdir"
    fi
}
# True if kernel $1 was built with CONFIG_$2=y.
kernel_has_config() {
    local f
    f=$(kernel_config "$1")
    [[ -n $f ]] && grep -qx "CONFIG_$2=y" "$f"
}

# A guest kernel is usable when its image, module tree and headers (build dir) exist.
kernel_usable() {
    local kver=$1
    [[ -n $kver && -r $(kernel_image "$kver") && -r $(kernel_modules_dir "$kver")/lib/modules/$kver/modules.dep &&
        -e $(kernel_build_dir_on_host "$kver")/Makefile ]]
}

# The full version the metapackage linux-image-amd64 points at (e.g. 6.1.0-56-amd64), or nothing.
metapackage_kernel() {
    local dep
    dep=$(dpkg-query -W -f='${Depends}' "$KERNEL_METAPACKAGE" 2>/dev/null) || return 0
    # Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)
    sed -n 's/^.*linux-image-\([0-9][^ ,]*-amd64\).*$/\1/p' <<<"$dep" | head -n1
}

# Newest installed kernel of the backport series (e.g. 6.12.117+deb12-amd64), or nothing.
newest_backport_kernel() {
    local d kver
    for d in /lib/modules/"$KERNEL_BACKPORT_SERIES".*"$KERNEL_FLAVOUR_SUFFIX"; do
        [[ -d $d ]] || continue
        kver=${d##*/}
        [[ $kver =~ $KERNEL_EXCLUDE_RE ]] && continue
        kernel_usable "$kver" && printf '%s\n' "$kver"
    done | sort -V | tail -n1
}

# Newest cached kernel of the trixie series (e.g. 7.3.4+deb13-amd64), or nothing.
newest_trixie_kernel() {
    local d kver
    for d in "$KERNEL_CACHE/$KERNEL_TRIXIE_SERIES".*"$KERNEL_TRIXIE_SUFFIX"; do
        [[ -d $d ]] || continue
        kver=${d##*/}
        [[ $kver =~ $KERNEL_EXCLUDE_RE ]] && continue
        kernel_usable "$kver" && printf '%s\n' "$kver"
    done | sort -V | tail -n1
}

# The kernels to test, one per line.
list_kernels() {
    local k
    k=$(metapackage_kernel)
    if [[ -n $k ]] && kernel_usable "$k"; then printf '%s\n' "$k"; fi
    k=$(newest_backport_kernel)
    if [[ -n $k ]]; then printf '%s\n' "$k"; fi
    k=$(newest_trixie_kernel)
    if [[ -n $k ]]; then printf '%s\n' "$k"; fi
}

# Map "6.1" / "6.12" / "7.3" / a full version to an installed or cached full version. Prints
# it or fails.
resolve_kernel() {
    local want=$1 k
    # "debug": the debug kernel of the current sources and fragment, built first if not cached.
    if [[ $want == debug ]]; then "$VM_DIR/debug-kernel"; return; fi
    if [[ -n $want && ( -d /lib/modules/$want || -d $KERNEL_CACHE/$want ) ]]; then
        kernel_usable "$want" || die "kernel $want is installed incompletely (need its image $(kernel_image "$want"), modules.dep under $(kernel_modules_dir "$want")/lib/modules/$want, headers $(kernel_build_dir_on_host "$want")); run kmod/vm/setup"
        printf '%s\n' "$want"; return 0
    fi
    [[ $want =~ ^[0-9]+\.[0-9]+$ ]] || die "unknown kernel '$want' (expected a short series like 6.1, 6.12 or 7.3, or an installed version: $(list_kernels | tr '\n' ' '))"
    # Prefer the tested kernels, then any other installed or cached, usable kernel of that series.
    k=$(list_kernels | awk -v p="$want." 'index($0, p) == 1 { print; exit }')
    if [[ -z $k ]]; then
        k=$(find /lib/modules "$KERNEL_CACHE" -mindepth 1 -maxdepth 1 -name "$want.*" -printf '%f\n' 2>/dev/null |
            grep -Ev -- "$KERNEL_EXCLUDE_RE" | sort -uV |
            while read -r c; do kernel_usable "$c" && printf '%s\n' "$c"; done | tail -n1 || true)
    fi
    [[ -n $k ]] || die "no installed kernel of series $want (installed: $(list_kernels | tr '\n' ' ')); run kmod/vm/setup"
    printf '%s\n' "$k"
}

# Run "$@" while holding an exclusive lock on file $1 (serialises concurrent builds of the same artefact).
with_lock() {
    local lockfile=$1; shift
    mkdir -p "$(dirname "$lockfile")"
    (
        flock -x 9
        "$@"
    ) 9>"$lockfile"
}

ensure_build_dir() {
    mkdir -p "$REPO_DIR/build"
    if [[ ! -e $REPO_DIR/build/.gitignore ]]; then
        printf '*\n!.gitignore\n' >"$REPO_DIR/build/.gitignore"
    fi
    mkdir -p "$BUILD_DIR"
}
