"""kmod/vm/boot: boot a Debian guest kernel under QEMU (TCG) with the host root shared read-only
and run a command in it. See kmod/vm/README.md.

The steps: resolve the kernel (kernels.py), build or reuse its initramfs (initramfs.py) and PVH
vmlinux (vmlinux.py), write the per-run control directory (control.py), wait for a host guest
slot (slots.py), run qemu (qemu.py, console.py), and judge the run from the exit status the
guest wrote and the kernel log (kernellog.py).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from . import console, control, initramfs, kernellog, kernels, qemu, slots, vmlinux
from .paths import BUILD, REPO, VM_DIR, ensure_build_dir

PROG = "boot"

# --- defaults and named constants -----------------------------------------------------------
DEFAULT_MEM = "512M"
DEFAULT_SMP = "2"
DEFAULT_TIMEOUT = 600          # seconds, whole qemu run (boot + command + poweroff)
QEMU_KILL_GRACE = 5            # seconds between SIGTERM and SIGKILL on timeout
JAVA_HOME_GUEST = "/usr/lib/jvm/temurin-25-jdk-amd64"
# Exit statuses of this script besides the command's own.
EXIT_USAGE = 2
EXIT_SPLAT = 123
EXIT_TIMEOUT = 124
EXIT_NO_STATUS = 125
# The statuses a shell gives a script ended by SIGINT and SIGTERM.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
# Set in the environment of the one re-boot after a guest kernel died before the command started.
REBOOTED_VAR = "BIGBUF_VM_REBOOTED"
# The log sections appended after the console output.
DMESG_HEADER = b"---- guest dmesg (saved after the command) ----\n"
KMSG_HEADER = b"---- guest kernel log (/dev/kmsg stream up to the end) ----\n"
KMEMLEAK_HEADER = b"---- kmemleak ----\n"
UNSEEN_CONSOLE_HEADER = b"---- console before the command could start ----\n"
UNSEEN_CONSOLE_LINES = 40      # the console's last lines shown when the command never started
GUEST_START_RE = re.compile(rb"^BIGBUF-VM-START uptime=([0-9.]*)$")
GUEST_END_RE = re.compile(rb"^BIGBUF-VM-END uptime=([0-9.]*)$")
INIT_FAILURE_PREFIX = b"bigbuf-vm-init: "


class Usage(Exception):
    """A command-line error: the usage text goes to stderr before the message."""


def die(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_USAGE)


def info(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


warn = info     # the same line: warnings and information differ in their words only


def usage() -> str:
    return f"""\
usage: kmod/vm/boot --kernel K [options] -- COMMAND [ARG...]
       kmod/vm/boot --kernel K [options] --interactive [-- COMMAND [ARG...]]
       kmod/vm/boot --kernel K --build-initramfs

Boots kernel K (/boot/vmlinuz-<K>, or the image in the kernel cache) under qemu-system-x86_64 -accel tcg with a busybox initramfs, the host
root (/) shared read-only and chrooted into, and runs COMMAND with /bin/bash in the repository
directory ({REPO}). Prints the command's output live and exits with its status.
A single COMMAND argument is a bash script ('make && ./t'); several are quoted as argv.

options:
  --kernel K         6.1, 6.12, 7.3, debug (kmod/vm/debug-kernel) or a full version [required]
  --mem SIZE         guest memory                                              [{DEFAULT_MEM}]
  --smp N            guest CPUs                                                [{DEFAULT_SMP}]
  --edu              add QEMU's edu PCI device (1234:11e8)
  --iommu MODEL      q35 machine with an emulated IOMMU: intel (guest gets: {qemu.IOMMU_APPEND['intel']})
                     or amd (guest gets: {qemu.IOMMU_APPEND['amd']})
  --iommu-strict     with --iommu: strict IOTLB invalidation ({qemu.IOMMU_STRICT_APPEND})
  --numa 2           two NUMA nodes; with --edu the device is on node 1
  --timeout SEC      kill the guest after SEC seconds, 0 = never               [{DEFAULT_TIMEOUT}, interactive: 0]
  --log FILE         write the complete console log plus dmesg to FILE
  --out DIR          share host DIR writable at the same path in the guest (created if missing)
  --append ARGS      extra kernel command line
  --env NAME=VALUE   export NAME in the guest command's environment (repeatable)
  --no-strict        do not add: {qemu.STRICT_APPEND}
  --slub-debug       add {qemu.SLUB_DEBUG_APPEND} (boot and JVM about 3x slower, see README)
  --page-poison      add {qemu.PAGE_POISON_APPEND}
  --bzimage          boot the kernel's bzImage itself instead of the extracted vmlinux (PVH)
  --allow-splat      report kernel splats but do not fail because of them
  --qemu-arg ARG     append ARG to the qemu command line (repeatable), e.g. for the edu DMA test:
                     --smp 1 --qemu-arg -icount --qemu-arg shift=auto,sleep=off
  --interactive      console is this terminal (quit qemu: Ctrl-A x); default command: bash -l
  --verbose          also print the boot messages before the command starts
  --build-initramfs  only build (or refresh) the initramfs and print its path
  -h, --help         this text

environment: BIGBUF_VM_SLOTS (default: twice the host CPUs) batch guests run at once on this
host, others wait for a slot (the --timeout starts once the guest starts).

exit status: the command's; {EXIT_SPLAT} kernel splat in the log (command passed); {EXIT_TIMEOUT} timeout;
{EXIT_NO_STATUS} guest died or init failed before reporting a status; {EXIT_USAGE} usage/harness error.
"""


# --- arguments --------------------------------------------------------------------------------
@dataclass
class Options:
    """The command line, checked."""
    kernel: str = ""
    machine: qemu.Machine = field(default_factory=lambda: qemu.Machine(DEFAULT_MEM, DEFAULT_SMP))
    timeout: str = ""
    log: str = ""
    out: str = ""
    guest_env: list[str] = field(default_factory=list)
    pvh: bool = True
    allow_splat: bool = False
    interactive: bool = False
    verbose: bool = False
    only_initramfs: bool = False
    command: list[str] = field(default_factory=list)


ENV_ASSIGNMENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
MEM_RE = re.compile(r"[0-9]+[MG]?")
SMP_RE = re.compile(r"[1-9][0-9]*")
SECONDS_RE = re.compile(r"[0-9]+")
# Options whose value is taken as it is: option -> (of the machine, not the run; attribute).
VALUE_OPTIONS = {
    "--kernel": (False, "kernel"),
    "--mem": (True, "mem"),
    "--smp": (True, "smp"),
    "--timeout": (False, "timeout"),
    "--log": (False, "log"),
    "--out": (False, "out"),
}
# Options without a value: option -> (of the machine, not the run; attribute; value it sets).
FLAGS = {
    "--edu": (True, "edu", True),
    "--iommu-strict": (True, "iommu_strict", True),
    "--no-strict": (True, "strict", False),
    "--slub-debug": (True, "slub_debug", True),
    "--page-poison": (True, "page_poison", True),
    "--bzimage": (False, "pvh", False),
    "--allow-splat": (False, "allow_splat", True),
    "--interactive": (False, "interactive", True),
    "--verbose": (False, "verbose", True),
    "--build-initramfs": (False, "only_initramfs", True),
}


def parse(argv: list[str]) -> Options:
    o = Options()
    m = o.machine
    args = list(argv)

    def value() -> str:
        if len(args) < 2 or not args[1]:
            raise Usage(f"option {args[0]} needs a value")
        v = args[1]
        del args[:2]
        return v

    while args:
        a = args[0]
        if a in VALUE_OPTIONS:
            on_machine, attribute = VALUE_OPTIONS[a]
            setattr(m if on_machine else o, attribute, value())
        elif a == "--iommu":
            model = value()
            if model not in qemu.IOMMU_DEVICE:
                die(f"--iommu: expected intel or amd, got '{model}'")
            m.iommu = model
        elif a == "--numa":
            nodes = value()
            if nodes not in ("1", "2"):
                die(f"--numa: 1 or 2 nodes, got '{nodes}'")
            m.numa = int(nodes)
        elif a == "--append":
            if len(args) < 2:
                die("option --append needs a value")
            m.append += " " + args[1]
            del args[:2]
        elif a == "--env":
            kv = value()
            if not ENV_ASSIGNMENT_RE.match(kv):
                die(f"--env expects NAME=VALUE, got '{kv}'")
            o.guest_env.append(kv)
        elif a in FLAGS:
            on_machine, attribute, setting = FLAGS[a]
            setattr(m if on_machine else o, attribute, setting)
            del args[0]
        elif a == "--qemu-arg":
            m.extra_qemu_args.append(value())
        elif a in ("-h", "--help"):
            sys.stdout.write(usage())
            raise SystemExit(0)
        elif a == "--":
            del args[0]
            break
        else:
            raise Usage(f"unknown argument '{a}' (the command goes after --)")
    if not o.kernel:
        raise Usage("--kernel is required")
    if m.iommu_strict and not m.iommu:
        die("--iommu-strict needs --iommu intel|amd")
    if not MEM_RE.fullmatch(m.mem):
        die(f"--mem: expected e.g. 512M or 2G, got '{m.mem}'")
    if not SMP_RE.fullmatch(m.smp):
        die(f"--smp: expected a positive number, got '{m.smp}'")
    if not o.timeout:
        o.timeout = "0" if o.interactive else str(DEFAULT_TIMEOUT)
    if not SECONDS_RE.fullmatch(o.timeout):
        die(f"--timeout: expected seconds, got '{o.timeout}'")
    o.command = args
    if not o.only_initramfs and not o.command:
        if not o.interactive:
            raise Usage("no command given (put it after --)")
        o.command = ["bash", "-l"]
    return o


# --- host checks --------------------------------------------------------------------------------
def static_busybox() -> str:
    """The path of busybox on PATH, which must be statically linked (it runs in the initramfs)."""
    busybox = shutil.which("busybox") or ""
    if busybox:
        try:
            described = subprocess.run(["file", "-L", busybox], stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL).stdout
        except OSError:
            described = b""
        if b"statically linked" in described:
            return busybox
    die("a statically linked busybox is needed (package busybox-static); run kmod/vm/setup")


# --- the run ------------------------------------------------------------------------------------
def awk_number(text: bytes) -> float:
    """TEXT's leading number, 0 if none (what awk makes of a string in arithmetic)."""
    m = re.match(rb"[0-9]*(\.[0-9]*)?", text)
    return float(m.group()) if m and m.group() not in (b"", b".") else 0.0


def first_group(regex: re.Pattern, lines: list[bytes]) -> bytes | None:
    for line in lines:
        m = regex.match(line)
        if m:
            return m.group(1)
    return None


class Run:
    """One boot: what it made and holds, released by close()."""

    def __init__(self, o: Options, program: str, argv: list[str]):
        self.o, self.program, self.argv = o, program, argv
        self.ctl: Path | None = None
        self.slot_fd: int | None = None
        self.qemu: list[subprocess.Popen] = []
        self.log_file = Path()

    def close(self) -> None:
        for p in self.qemu:
            console.end(p, QEMU_KILL_GRACE)
        self.release_slot()
        if self.ctl is not None:
            shutil.rmtree(self.ctl, ignore_errors=True)

    def release_slot(self) -> None:
        if self.slot_fd is not None:
            os.close(self.slot_fd)
            self.slot_fd = None

    # A failed run keeps its log: the one given with --log, or a copy under build/vm/logs/.
    def keep_log(self) -> str:
        if self.o.log:
            return self.o.log
        assert self.ctl is not None
        kept = BUILD / "logs" / f"{self.ctl.name}.log"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.log_file, kept)
        return str(kept)

    def show_unseen_console(self, console_lines: list[bytes]) -> None:
        """Console lines the user has not seen live (boot messages before the command started)."""
        if self.o.verbose or self.o.interactive or has_started(console_lines):
            return
        sys.stderr.flush()
        sys.stderr.buffer.write(UNSEEN_CONSOLE_HEADER)
        sys.stderr.buffer.write(b"".join(ln + b"\n" for ln in console_lines[-UNSEEN_CONSOLE_LINES:]))
        sys.stderr.buffer.flush()

    def execute(self) -> int:
        o, m = self.o, self.o.machine
        try:
            k = kernels.boot_kernel(o.kernel, PROG)
        except kernels.KernelLookupError as e:
            return e.status
        kver = k.version
        # What a cached kernel asks for in its build.conf (kmod/vm/lib.sh).
        pvh = o.pvh and k.boot != "bzimage"
        moddir = f"{k.modules_base.removesuffix('/')}/lib/modules/{kver}"
        kbuild_dir = BUILD / kver
        if not shutil.which("qemu-system-x86_64"):
            die("qemu-system-x86_64 not found; run kmod/vm/setup")
        busybox = static_busybox()
        if not os.access(k.image, os.R_OK):
            die(f"cannot read {k.image}")

        ensure_build_dir()
        kbuild_dir.mkdir(parents=True, exist_ok=True)
        initrd = initramfs.ensure(kver, moddir, busybox, str(VM_DIR / "guest-init"), kbuild_dir, info)
        if o.only_initramfs:
            print(initrd, flush=True)
            return 0

        boot_image = k.image
        if pvh:
            extracted = vmlinux.ensure(k.image, kbuild_dir)
            if extracted is not None:
                boot_image = str(extracted)
            else:
                warn(f"cannot extract a PVH-bootable vmlinux from {k.image}; booting the bzImage (slower)")

        self.ctl = ctl = control.make_dir(BUILD / "runs", kver)
        out = ""
        if o.out:
            os.makedirs(o.out, exist_ok=True)
            out = os.path.realpath(o.out)
        write_control(ctl, o, k, out)

        cmdline = qemu.kernel_cmdline(m, k.cmdline)
        argv = qemu.command(m, boot_image, str(initrd), cmdline, str(ctl), out)

        if not o.interactive:
            slots_value = slots.slot_count()
            if not SMP_RE.fullmatch(slots_value):
                die(f"BIGBUF_VM_SLOTS must be a positive number, got '{slots_value}'")
            # Held until this process and qemu (which inherits the fd) exit.
            self.slot_fd = slots.acquire(int(slots_value), f"{self.program} --kernel {kver} in {REPO}", info)

        self.log_file = Path(o.log) if o.log else ctl / "console.log"
        if o.log:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.write_bytes(b"")
        timeout = int(o.timeout)
        start_ns = time.time_ns()
        if o.interactive:
            if not sys.stdin.isatty():
                warn("--interactive without a terminal on stdin")
            info(f"booting {kver} interactively; quit qemu with Ctrl-A x")
            qemu_rc = console.run_interactive(argv + qemu.interactive_serial(str(ctl), str(self.log_file)),
                                              timeout, QEMU_KILL_GRACE, self.qemu)
        else:
            qemu_rc = console.run_batch(argv + qemu.batch_serial(str(ctl)), self.log_file, o.verbose,
                                        ctl / "host-start-ns", timeout, QEMU_KILL_GRACE,
                                        (self.slot_fd,) if self.slot_fd is not None else (), self.qemu)
        elapsed = f"{(time.time_ns() - start_ns) / 1e9:.1f}"
        return self.verdict(kver, qemu_rc, start_ns, elapsed)

    def verdict(self, kver: str, qemu_rc: int, start_ns: int, elapsed: str) -> int:
        o, ctl = self.o, self.ctl
        assert ctl is not None
        append_kernel_log(ctl, self.log_file)
        console_log = self.log_file.read_bytes()
        console_lines = kernellog.lines_of(console_log)
        kmemleak = ctl / "kmemleak"
        found = kernellog.splats(console_log, kmemleak.read_bytes() if kmemleak.is_file() else None)

        plain = kernellog.lines_of(console_log.replace(b"\r", b""))
        boot_s = first_group(GUEST_START_RE, plain)
        end_s = first_group(GUEST_END_RE, plain)
        cmd_s = f"{awk_number(end_s) - awk_number(boot_s):.1f}" if boot_s and end_s else None
        guest_rc = read_exit_status(ctl / "exit")
        host_boot_s = None
        stamp = ctl / "host-start-ns"
        if stamp.is_file() and stamp.stat().st_size > 0:
            host_boot_s = f"{(awk_number(stamp.read_bytes()) - start_ns) / 1e9:.1f}"
        summary = (f"kernel {kver}: boot-to-command {host_boot_s or '?'} s (guest uptime "
                   f"{(boot_s or b'?').decode()} s), command {cmd_s or '?'} s, total {elapsed} s")

        if int(o.timeout) > 0 and qemu_rc in (console.TIMED_OUT, console.KILLED) and guest_rc is None:
            self.show_unseen_console(console_lines)
            warn(f"TIMEOUT: guest killed after {o.timeout} s ({summary}); log: {self.keep_log()}")
            print_splats(found, "  splat: ")
            return EXIT_TIMEOUT
        # A guest kernel that dies while booting, before the command started, ran none of our code: under
        # TCG an early-boot oops during kernel text patching (int3 in patched code) happens about once in
        # a hundred boots. Boot once more, loudly; a second failure, or any failure after the command
        # started, is reported as it is.
        if (guest_rc is None and not o.interactive and not os.environ.get(REBOOTED_VAR)
                and not has_started(console_lines)):
            self.show_unseen_console(console_lines)
            # Keep the failed boot's console: the next boot rewrites a --log file.
            if o.log:
                failed_log = f"{o.log}.boot-failure"
                shutil.copyfile(self.log_file, failed_log)
            else:
                failed_log = self.keep_log()
            warn(f"the guest kernel died before the command started (qemu status {qemu_rc}; "
                 f"log: {failed_log}); booting once more")
            # The new boot queues for a guest slot like any other: give this one back first.
            self.release_slot()
            return subprocess.run([self.program, *self.argv], env={**os.environ, REBOOTED_VAR: "1"}).returncode
        if guest_rc is None:
            self.show_unseen_console(console_lines)
            warn(f"FAILED: the guest stopped without reporting an exit status (qemu status {qemu_rc}; "
                 f"kernel panic or init failure); log: {self.keep_log()}")
            print_splats(found, "  splat: ")
            return EXIT_NO_STATUS
        init_failures = [ln for ln in console_lines if ln.startswith(INIT_FAILURE_PREFIX)]
        if guest_rc == EXIT_NO_STATUS and init_failures:
            self.show_unseen_console(console_lines)
            warn(f"guest init failed: {init_failures[0].decode(errors='surrogateescape')}; log: {self.keep_log()}")
            return EXIT_NO_STATUS
        info(f"{summary}, exit {guest_rc}")
        if found:
            warn(f"kernel splat in the guest log (command exit status {guest_rc}); log: {self.keep_log()}")
            print_splats(found, "  ")
            if not o.allow_splat:
                return EXIT_SPLAT if guest_rc == 0 else guest_rc
        return guest_rc


def has_started(console_lines: list[bytes]) -> bool:
    return any(ln.startswith(b"BIGBUF-VM-START uptime=") for ln in console_lines)


def read_exit_status(path: Path) -> int | None:
    """The status guest-init wrote (only init writes it: command output cannot fake it), or
    None if there is none."""
    try:
        text = path.read_text().rstrip("\n")
    except OSError:
        return None
    return int(text) % 256 if SECONDS_RE.fullmatch(text) else None


def print_splats(found: list[bytes], prefix: str) -> None:
    sys.stderr.flush()
    sys.stderr.buffer.write(b"".join(prefix.encode() + ln + b"\n" for ln in found))
    sys.stderr.buffer.flush()


def write_control(ctl: Path, o: Options, k: kernels.BootKernel, out: str) -> None:
    """The guest's config (for guest-init) and script (the command with its environment)."""
    config = {"REPO_DIR": str(REPO), "OUT_DIR": out, "INTERACTIVE": "1" if o.interactive else "0",
              "GUEST_HOSTNAME": f"bigbuf-vm-{k.version.split('-', 1)[0]}"}
    # A kernel from the cache: its module tree is bind-mounted over the host's /lib/modules in the
    # guest, so that /lib/modules/$(uname -r) and modprobe work as for installed kernels.
    if k.modules_base != "/":
        config["MODULES_TREE"] = os.path.realpath(f"{k.modules_base}/lib/modules")
        config["MODULES_MOUNT"] = os.path.realpath("/lib/modules")
    control.write_config(ctl, config)

    term = (os.environ.get("TERM") or "vt100") if o.interactive else "dumb"
    environment = [control.export(("TERM", term)),
                   control.export(("BIGBUF_VM", "1"), ("BIGBUF_VM_KERNEL", k.version),
                                  ("BIGBUF_VM_OUT", out), ("BIGBUF_JAVA_HOME", JAVA_HOME_GUEST)),
                   control.export(("BIGBUF_VM_KERNEL_CONFIG", k.config))]
    environment += [control.export(tuple(kv.split("=", 1))) for kv in o.guest_env]
    if o.interactive and sys.stdin.isatty():
        try:
            cols, rows = os.get_terminal_size(sys.stdin.fileno())
        except OSError:
            cols, rows = 80, 24
        environment.append(f"stty rows {rows} cols {cols} 2>/dev/null")
    control.write_script(ctl, environment, str(REPO), EXIT_NO_STATUS, control.user_command(o.command))


def append_kernel_log(ctl: Path, log_file: Path) -> None:
    """Appends the complete kernel log to the console log: the dmesg saved after the command,
    or, when the guest died before that, the /dev/kmsg stream from the second serial port
    ("6,339,3340170,-;text" records); then the kmemleak report, if any."""
    dmesg, kmsg, kmemleak = ctl / "dmesg", ctl / "kmsg", ctl / "kmemleak"
    with log_file.open("ab") as log:
        if dmesg.is_file():
            log.write(DMESG_HEADER + dmesg.read_bytes())
        elif kmsg.is_file() and kmsg.stat().st_size > 0:
            log.write(KMSG_HEADER + kernellog.kmsg_to_log(kmsg.read_bytes()))
        if kmemleak.is_file() and kmemleak.stat().st_size > 0:
            log.write(KMEMLEAK_HEADER + kmemleak.read_bytes())


def main(program: str, argv: list[str]) -> int:
    """PROGRAM: how this script was invoked (for the re-boot and the slot holder line)."""
    sys.stderr.reconfigure(errors="surrogateescape")
    sys.stdout.reconfigure(errors="surrogateescape")

    def exit_on(status: int):
        def handler(signum, frame):
            raise SystemExit(status)
        return handler

    signal.signal(signal.SIGINT, exit_on(EXIT_INTERRUPTED))
    signal.signal(signal.SIGTERM, exit_on(EXIT_TERMINATED))
    try:
        o = parse(argv)
    except Usage as e:
        sys.stderr.write(usage())
        die(str(e))
    run = Run(o, program, argv)
    try:
        return run.execute()
    except (OSError, ValueError, subprocess.CalledProcessError) as e:
        die(str(e))
    finally:
        run.close()
