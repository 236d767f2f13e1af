"""The test matrix: stages x guest kernels x machine variants, defined once.

Every guest the suite boots is a row of this table: a stage (what runs in the guest and how its
output is judged), a kernel (kmod/vm/kernels resolves it) and a machine variant (the QEMU shape:
IOMMU model, NUMA nodes). kmod/vm/suite plan prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Machine variants: name -> kmod/vm/boot options. Each one gives the module another view of DMA.
MACHINES: dict[str, tuple[str, ...]] = {
    "plain": (),                                         # no IOMMU: device address = physical
    "intel": ("--iommu", "intel"),                       # Intel VT-d, lazy invalidation (DMA-FQ)
    "amd": ("--iommu", "amd"),                           # AMD-Vi, lazy invalidation
    "intel-strict": ("--iommu", "intel", "--iommu-strict"),  # unmap flushes the IOTLB (DMA)
    "numa2": ("--numa", "2"),                            # two nodes, edu on node 1, no IOMMU
}
# Variants whose device addresses are IOVAs (the IOMMU translates).
TRANSLATED = frozenset({"intel", "amd", "intel-strict"})

# Guest kernel classes: "debian" = the tested Debian kernels (kmod/vm/kernels: the metapackage's,
# the newest 6.12 backport, the newest 7.3), "debug" = kmod/vm/debug-kernel (lockdep, KASAN,
# kmemleak, fault injection; several times slower under TCG).
DEBIAN = "debian"
DEBUG = "debug"
# Timeouts of guests of kernels with KASAN (the debug kernel) are this many times longer.
DEBUG_KERNEL_TIMEOUT_FACTOR = 4


@dataclass(frozen=True)
class Variant:
    """A machine variant as one stage uses it."""
    machine: str
    # Where it runs: "every" kernel, only the "last" of the selected kernels (same code paths,
    # another shape: one kernel is enough), or only kernels "with_failinj" (fault injection).
    on: str = "every"
    env: tuple[str, ...] = ()           # extra NAME=VALUE for the guest command
    guest_args: tuple[str, ...] = ()    # extra arguments of the stage's guest command
    label: str = ""                     # row name suffix; default: the machine name

    @property
    def name(self) -> str:
        return self.label or self.machine


@dataclass(frozen=True)
class Stage:
    name: str
    kernels: tuple[str, ...]            # kernel classes it runs on by default
    variants: tuple[Variant, ...]
    mem: str
    timeout: int                        # seconds per guest (boot + command)
    boot_args: tuple[str, ...] = ()
    estimate: int = 300                 # seconds a guest takes on an idle 2-CPU host (order)
    doc: str = ""


STAGES: dict[str, Stage] = {s.name: s for s in (
    Stage("kmod", (DEBIAN, DEBUG), (Variant("plain"),), mem="512M", timeout=600,
          boot_args=("--slub-debug", "--page-poison"), estimate=150,
          doc="the module's C suite kmod/tests/run-in-guest (ioctls, mmap, strategies, "
              "memmap, CONTIG search), after the host's ASan unit tests"),
    # Behind an IOMMU only device mapping changes; the other classes run once per kernel.
    Stage("e2e", (DEBIAN,), (
        Variant("plain"),
        Variant("intel", env=("BIGBUF_E2E_CLASSES=.*DeviceMappingE2E",)),
        Variant("amd", env=("BIGBUF_E2E_CLASSES=.*DeviceMappingE2E",)),
    ), mem="768M", timeout=900, boot_args=("--edu",), estimate=300,
        doc="the Java kernel backend in embedded Felix (tests-e2e/run-in-guest); behind the "
            "IOMMUs only the device-mapping class"),
    Stage("edu", (DEBIAN,), (
        Variant("plain", label="direct"), Variant("intel"), Variant("amd"),
        Variant("intel-strict", on="last"), Variant("numa2", on="last"),
    ), mem="512M", timeout=600, estimate=200,
        # QEMU's edu finishes a DMA command 100 ms of virtual time after it started (a timer):
        # 16 MiB in 4 KiB commands both ways would take 14 minutes. With -icount sleep=off the
        # virtual clock jumps to the next timer whenever the guest CPU idles (the driver sleeps
        # while it waits), about a millisecond per command. icount needs single-threaded TCG.
        boot_args=("--edu", "--smp", "1", "--qemu-arg", "-icount",
                   "--qemu-arg", "shift=auto,sleep=off"),
        doc="the device-mapping C suite and the edu example's DMA through QEMU's edu device"),
    # Kernel checks on top of boot's strict mode: SLUB consistency checks, page poisoning and
    # init_on_alloc=0 (the kernel must not zero pages for the module). --edu: the fuzzer's valid
    # device mappings need a PCI function without a driver.
    Stage("reliability", (DEBIAN, DEBUG), (
        Variant("plain"),
        # The same fault injection behind a translating IOMMU, for the paths only such a guest
        # has: scattered buffers (their kvmalloc'ed page array) and IOVAs.
        Variant("intel", on="with_failinj", guest_args=("--failinj-only",),
                label="intel-failinj"),
    ), mem="512M", timeout=900,
        boot_args=("--smp", "2", "--edu", "--slub-debug", "--page-poison",
                   "--append", "init_on_alloc=0"), estimate=400,
        doc="fuzzing, load, fault injection, kill -9 and permission checks "
            "(kmod/tests/reliability/run-in-guest)"),
)}
# The host stage: the Java build and its tests, which also build what the guests run.
MAVEN = "maven"
ALL_STAGES = (MAVEN, *STAGES)

# --long (reliability): 10^5 fuzz calls, 120 s of load per thread, more faults.
RELIABILITY_LONG_TIMEOUT = 2400


@dataclass
class Guest:
    """One guest of the matrix: what kmod/vm/suite boots."""
    stage: Stage
    kernel: str                         # full version (resolved)
    variant: Variant
    debug_kernel: bool
    failinj: bool
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.stage.name} {self.kernel} {self.variant.name}"

    @property
    def file_stem(self) -> str:
        return f"{self.stage.name}-{self.kernel}-{self.variant.name}"

    @property
    def estimate(self) -> int:
        factor = 3 if self.debug_kernel else 1
        return self.stage.estimate * factor // (2 if self.variant.guest_args else 1)


def guests_of(stage: Stage, kernels: list[tuple[str, bool, bool]],
              machines: list[str] | None = None) -> list[Guest]:
    """The guests of STAGE on KERNELS ((version, is_debug, has_failinj), in order). With
    MACHINES, exactly those variants (by variant or machine name) run on every kernel."""
    out = []
    for i, (kver, debug, failinj) in enumerate(kernels):
        last = i == len(kernels) - 1
        for v in stage.variants:
            if machines is not None:
                if v.name not in machines and v.machine not in machines:
                    continue
            elif v.on == "last" and not last:
                continue
            if v.on == "with_failinj" and not failinj:
                continue
            out.append(Guest(stage, kver, v, debug, failinj))
    return out


def known_variants() -> list[str]:
    return sorted({v.name for s in STAGES.values() for v in s.variants} | set(MACHINES))
