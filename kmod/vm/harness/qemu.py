"""The guest machine: the kernel command line and the qemu-system-x86_64 command line."""

from __future__ import annotations

from dataclasses import dataclass, field

# Console verbosity: 5 = KERN_WARNING and more severe reach the console live (WARN() splats do);
# the complete kernel log (dmesg after the command, or the /dev/kmsg stream on ttyS1 if the guest
# died) is appended to the log.
CONSOLE_LOGLEVEL = 5
# Strict mode: any WARN/oops panics the guest and the panic ends qemu (-no-reboot).
STRICT_APPEND = "panic_on_warn=1 oops=panic panic=-1"
# Extra SLUB consistency checks (sanity, red zones, poisoning, user tracking); --slub-debug.
SLUB_DEBUG_APPEND = "slub_debug=FZPU"
# Poison freed pages and check the poison on allocation (use-after-free writes to pages); --page-poison.
PAGE_POISON_APPEND = "page_poison=1"
# --iommu: QEMU's IOMMU models. Both need the q35 machine and must be created before the PCI
# devices they translate for. iommu=nopt: DMA domains (translated), not passthrough, whatever the
# kernel's default. Debian's kernels enable the AMD driver by default, the Intel one only on request.
IOMMU_DEVICE = {"intel": "intel-iommu", "amd": "amd-iommu"}
IOMMU_APPEND = {"intel": "intel_iommu=on iommu=nopt", "amd": "iommu=nopt"}
# --iommu-strict: unmaps invalidate the IOTLB before they return (no flush queue, type DMA).
IOMMU_STRICT_APPEND = "iommu.strict=1"
# --numa 2: two nodes with half the memory each; --edu then sits behind a PCI expander bridge of
# node 1 (its ACPI _PXM gives the device's numa_node), the rest stays on node 0.
NUMA_EXPANDER_BUS = "0x80"
# TCG on a busy 2-core host: vCPU threads can starve for tens of seconds, which the kernel reports
# as RCU stalls and soft lockups with stack dumps (false splats). Raise both detectors to about two
# minutes (watchdog_thresh=60 -> soft lockup after 120 s); real lockups that long still show up.
# no_timer_check: a starved vCPU fails the early IO-APIC timer check ("IO-APIC + timer doesn't
# work!" panic, seen here under load); virtual machines conventionally skip it.
SLOW_HOST_APPEND = "rcupdate.rcu_cpu_stall_timeout=120 watchdog_thresh=60 no_timer_check"


@dataclass
class Machine:
    """The guest's shape and kernel options (kmod/vm/boot's command line)."""
    mem: str
    smp: str
    edu: bool = False
    iommu: str = ""                 # "", or a key of IOMMU_DEVICE
    iommu_strict: bool = False
    numa: int = 1
    strict: bool = True
    slub_debug: bool = False
    page_poison: bool = False
    append: str = ""                # --append's, each with a space before it
    extra_qemu_args: list[str] = field(default_factory=list)


def kernel_cmdline(m: Machine, kernel_needs: str) -> str:
    """The guest kernel's command line; KERNEL_NEEDS: what the kernel always needs (its
    build.conf CMDLINE), or ""."""
    words = [f"console=ttyS0 printk.time=1 loglevel={CONSOLE_LOGLEVEL} quiet rdinit=/init {SLOW_HOST_APPEND}"]
    if kernel_needs:
        words.append(kernel_needs)
    if m.strict:
        words.append(STRICT_APPEND)
    if m.slub_debug:
        words.append(SLUB_DEBUG_APPEND)
    if m.page_poison:
        words.append(PAGE_POISON_APPEND)
    if m.iommu:
        words.append(IOMMU_APPEND[m.iommu])
    if m.iommu_strict:
        words.append(IOMMU_STRICT_APPEND)
    if m.append:
        words.append(m.append.removeprefix(" "))
    return " ".join(words)


def mem_mib(mem: str) -> int:
    """--mem (512M, 2G, or MiB without a unit) in MiB."""
    if mem.endswith("G"):
        return int(mem[:-1]) * 1024
    return int(mem.removesuffix("M"))


def command(m: Machine, boot_image: str, initramfs: str, cmdline: str, ctl: str, out: str) -> list[str]:
    """qemu's command line but for the serial ports and console, which depend on how the guest
    runs (batch or interactive). CTL is the control directory, OUT the --out directory or ""."""
    argv = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", m.mem, "-smp", m.smp,
            "-no-reboot", "-nodefaults", "-no-user-config", "-display", "none", "-nic", "none",
            "-kernel", boot_image, "-initrd", initramfs, "-append", cmdline,
            "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
            "-virtfs", f"local,path={ctl},mount_tag=bigbufctl,security_model=none"]
    if out:
        argv += ["-virtfs", f"local,path={out},mount_tag=bigbufout,security_model=none"]
    if m.iommu:
        argv += ["-machine", "q35", "-device", IOMMU_DEVICE[m.iommu]]
    if m.numa == 2:
        total = mem_mib(m.mem)
        argv += ["-object", f"memory-backend-ram,id=node0mem,size={total - total // 2}M",
                 "-object", f"memory-backend-ram,id=node1mem,size={total // 2}M",
                 "-numa", "node,nodeid=0,memdev=node0mem", "-numa", "node,nodeid=1,memdev=node1mem"]
    if m.edu and m.numa == 2:
        # q35 has PCI Express root buses (pxb-pcie, a root port for the conventional edu device would
        # need a bridge); the default machine has conventional ones (pxb).
        if m.iommu:
            argv += ["-device", f"pxb-pcie,id=node1bus,bus_nr={NUMA_EXPANDER_BUS},numa_node=1,bus=pcie.0",
                     "-device", "pcie-root-port,id=node1port,bus=node1bus,chassis=1",
                     "-device", "pcie-pci-bridge,id=node1bridge,bus=node1port",
                     "-device", "edu,bus=node1bridge,addr=0x1"]
        else:
            argv += ["-device", f"pxb,id=node1bus,bus_nr={NUMA_EXPANDER_BUS},numa_node=1,bus=pci.0",
                     "-device", "edu,bus=node1bus,addr=0x1"]
    elif m.edu:
        argv += ["-device", "edu"]
    return argv + m.extra_qemu_args


def batch_serial(ctl: str) -> list[str]:
    """Batch guests: the console on qemu's stdout, the /dev/kmsg stream (ttyS1) into CTL/kmsg."""
    return ["-serial", "stdio", "-serial", f"file:{ctl}/kmsg"]


def interactive_serial(ctl: str, log_file: str) -> list[str]:
    """Interactive guests: the console and the qemu monitor on this terminal, logged to LOG_FILE."""
    return ["-chardev", f"stdio,id=con,mux=on,signal=off,logfile={log_file}", "-serial", "chardev:con",
            "-serial", f"file:{ctl}/kmsg", "-mon", "chardev=con,mode=readline"]
