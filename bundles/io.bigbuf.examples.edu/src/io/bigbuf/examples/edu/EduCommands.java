package io.bigbuf.examples.edu;

import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.CurrentAllocator;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.PciAddress;
import io.bigbuf.pci.PciDevice;
import io.bigbuf.pci.PciDeviceProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Gogo commands in scope {@code edu}: a device bundle that works unchanged on every bigbuf
 * backend and PCI device layer. It references the edu functions as {@link PciDevice} services by
 * their ids ({@value #EDU_FILTER}) and follows the best-ranked allocator (dynamic, greedy: the
 * kernel backend replaces the mock as soon as the module is loaded), and checks before touching
 * the device whether real DMA can work at all; if not, the command fails with every reason and
 * what to change. Failures are exceptions with a message, which Gogo prints and the
 * non-interactive launcher turns into exit status 1.
 */
@Component(service = EduCommands.class, property = {
    "osgi.command.scope=edu",
    "osgi.command.function=dmatest",
    "osgi.command.function=iommutest",
    "osgi.command.function=devices"
})
public class EduCommands {

    /** The edu functions, by vendor and device id (as {@link PciDeviceProperties#filter} spells it). */
    public static final String EDU_FILTER = "(&(" + PciDeviceProperties.VENDOR + "=1234)(" + PciDeviceProperties.DEVICE
            + "=11e8))";

    /** Default bytes per DMA command; see {@link EduRegisters#SAFE_TRANSFER_SIZE}. */
    public static final int DEFAULT_TRANSFER_SIZE = EduRegisters.SAFE_TRANSFER_SIZE;

    private static final long WAIT_POLL_MILLIS = 50;
    private static final long MAX_WAIT_SECONDS = 3600;
    /** Default wait while the module's device exists but the kernel backend has not bound yet. */
    static final long AUTO_WAIT_SECONDS = 10;

    private final CurrentAllocator allocator = new CurrentAllocator();
    private final ReentrantLock running = new ReentrantLock();
    private final Function<PciDevice, EduDevice> opener;
    private final Path kernelDevice;

    /** The edu functions the PCI device layers serve now. */
    @Reference(target = EDU_FILTER, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<PciDevice> eduFunctions = List.of();

    public EduCommands() {
        this(PciEduDevice::open, Path.of("/dev/bigbuf"));
    }

    /**
     * @param opener       opens an edu function for the driver
     * @param kernelDevice the bigbuf module's device node: while it exists, the kernel backend is
     *                     expected to bind soon
     */
    EduCommands(Function<PciDevice, EduDevice> opener, Path kernelDevice) {
        this.opener = opener;
        this.kernelDevice = kernelDevice;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unsetAllocator")
    public void setAllocator(ContiguousAllocator newAllocator) {
        allocator.bind(newAllocator);
    }

    public void unsetAllocator(ContiguousAllocator oldAllocator) {
        allocator.unbind(oldAllocator);
    }

    @Descriptor("DMA a random pattern through the edu device from one bigbuf buffer into another and compare;"
            + " sizes like 64K, 16M")
    public String dmatest(
            @Descriptor("bytes per DMA command, 1..4096 (4096 aborts QEMU <= 7.2, see EduRegisters)")
            @Parameter(names = {"-c", "--chunk"}, absentValue = "4095") String chunk,
            @Descriptor("seed of the random pattern (default: random, printed in the report)")
            @Parameter(names = {"-s", "--seed"}, absentValue = "") String seed,
            @Descriptor("PCI address of the edu device, e.g. 0000:00:04.0 (default: the first one)")
            @Parameter(names = {"-d", "--device"}, absentValue = "") String device,
            @Descriptor("wait up to this many seconds for an allocator with real bus addresses (default: "
                    + AUTO_WAIT_SECONDS + " if /dev/bigbuf exists, i.e. the kernel backend is about to bind, else 0)")
            @Parameter(names = {"-w", "--wait"}, absentValue = "auto") String waitSeconds,
            @Descriptor("size of each of the two buffers, e.g. 16M") String size) {
        long bytes = parseSize("size", size);
        if (bytes <= 0) {
            throw new IllegalArgumentException("size must be positive, got '" + size + "'");
        }
        long transfer = parseSize("--chunk", chunk);
        if (transfer <= 0 || transfer > EduRegisters.DEVICE_BUFFER_SIZE) {
            throw new IllegalArgumentException("--chunk must be 1.." + EduRegisters.DEVICE_BUFFER_SIZE
                    + " bytes (the device buffer), got '" + chunk + "'");
        }
        long patternSeed = seed.isEmpty() ? ThreadLocalRandom.current().nextLong() : parseSeed(seed);
        long wait = "auto".equals(waitSeconds) ? (Files.exists(kernelDevice) ? AUTO_WAIT_SECONDS : 0)
                : parseSeconds(waitSeconds);

        ContiguousAllocator current = awaitRealBusAddresses(wait);
        Optional<PciDevice> found = find(device);
        List<String> obstacles = obstacles(current, found, device);
        if (!obstacles.isEmpty()) {
            throw new DmaUnavailableException(obstacles);
        }
        if (!running.tryLock()) {
            throw new EduDeviceException("another edu:dmatest is running; try again when it has finished");
        }
        try (EduDevice edu = opener.apply(found.orElseThrow())) {
            EduDmaEngine engine = new EduDmaEngine(edu);
            engine.identify();
            DmaRoundTripReport report = new DmaRoundTrip(current, engine, found.get().address())
                    .run(bytes, (int) transfer, patternSeed);
            if (!report.verified()) {
                throw new DmaVerificationException(report);
            }
            return report.toString();
        } finally {
            running.unlock();
        }
    }

    @Descriptor("prove that the IOMMU confines the edu device: its DMA to an address no longer mapped for it,"
            + " and into a read-only mapping, must not reach memory")
    public String iommutest(
            @Descriptor("PCI address of the edu device, e.g. 0000:00:04.0 (default: the first one)")
            @Parameter(names = {"-d", "--device"}, absentValue = "") String device,
            @Descriptor("wait up to this many seconds for the kernel backend (default: as edu:dmatest)")
            @Parameter(names = {"-w", "--wait"}, absentValue = "auto") String waitSeconds) {
        long wait = "auto".equals(waitSeconds) ? (Files.exists(kernelDevice) ? AUTO_WAIT_SECONDS : 0)
                : parseSeconds(waitSeconds);
        ContiguousAllocator current = awaitRealBusAddresses(wait);
        Optional<PciDevice> found = find(device);
        List<String> obstacles = obstacles(current, found, device);
        if (!obstacles.isEmpty()) {
            throw new DmaUnavailableException(obstacles);
        }
        if (!running.tryLock()) {
            throw new EduDeviceException("another edu command is running; try again when it has finished");
        }
        try (EduDevice edu = opener.apply(found.get())) {
            EduDmaEngine engine = new EduDmaEngine(edu);
            engine.identify();
            return new IsolationCheck(current, engine, found.get().address())
                    .run(ThreadLocalRandom.current().nextLong());
        } finally {
            running.unlock();
        }
    }

    @Descriptor("list the edu devices and whether this runtime can DMA with them")
    public String devices() {
        List<PciDevice> all = sorted();
        StringBuilder out = new StringBuilder();
        if (all.isEmpty()) {
            out.append("no edu device among the PCI functions (pci:list shows them; start QEMU with -device edu)")
                    .append(System.lineSeparator());
        }
        ContiguousAllocator current = allocator.get().orElse(null);
        for (PciDevice device : all) {
            out.append(device.address()).append("  ").append(current == null ? "(no allocator to ask)"
                    : describeTranslation(current, device.address())).append(System.lineSeparator());
        }
        out.append("allocator: ").append(current == null ? "none"
                : current.backendInfo().name() + (current.backendInfo().realBusAddresses()
                        ? " (real bus addresses)" : " (simulated addresses, no device DMA)"));
        return out.toString();
    }

    /**
     * The current allocator, after waiting up to {@code seconds} for one whose addresses a device
     * can use: the greedy reference rebinds this component when the kernel backend registers.
     */
    private ContiguousAllocator awaitRealBusAddresses(long seconds) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (true) {
            ContiguousAllocator current = allocator.get().orElse(null);
            if ((current != null && current.backendInfo().realBusAddresses()) || System.nanoTime() - deadline >= 0) {
                return current;
            }
            try {
                Thread.sleep(WAIT_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return allocator.get().orElse(null);
            }
        }
    }

    private static String describeTranslation(ContiguousAllocator current, PciAddress device) {
        if (!current.backendInfo().deviceMapping()) {
            return "(the " + current.backendInfo().name() + " backend cannot map for devices)";
        }
        try {
            return switch (current.translation(device)) {
                case DIRECT -> "DMA direct: device addresses are physical addresses (no IOMMU)";
                case IDENTITY -> "DMA identity: device addresses are physical addresses (IOMMU passthrough)";
                case TRANSLATED -> "DMA translated: device addresses are IOVAs, the IOMMU confines the device";
            };
        } catch (DeviceMappingException e) {
            return "unusable: " + e.getMessage();
        }
    }

    private List<PciDevice> sorted() {
        return eduFunctions.stream().sorted(Comparator.comparing(PciDevice::address)).toList();
    }

    /** The edu function at {@code address}, or the first one when it is empty. */
    private Optional<PciDevice> find(String address) {
        if (address.isEmpty()) {
            return sorted().stream().findFirst();
        }
        PciAddress wanted = PciAddress.parse(address);
        return eduFunctions.stream().filter(d -> d.address().equals(wanted)).findFirst();
    }

    /** Everything that rules out real DMA, each with the remedy; empty if nothing does. */
    private List<String> obstacles(ContiguousAllocator current, Optional<PciDevice> device, String requested) {
        List<String> reasons = new ArrayList<>();
        if (current == null) {
            reasons.add("no bigbuf allocator service is running; start io.bigbuf.kmod with the bigbuf kernel module loaded");
        } else {
            BackendInfo info = current.backendInfo();
            if (!info.realBusAddresses()) {
                reasons.add("the current allocator backend '" + info.name() + "' hands out simulated physical"
                        + " addresses that no device can reach; load the bigbuf kernel module (insmod bigbuf.ko)"
                        + " so that the kmod backend takes over, then run the command again");
            } else if (!info.deviceMapping()) {
                reasons.add("the current allocator backend '" + info.name() + "' cannot map buffers for devices;"
                        + " load a bigbuf kernel module that can (ABI feature BIGBUF_FEATURE_DEVICE_MAP)");
            }
        }
        if (device.isEmpty()) {
            reasons.add(requested.isEmpty()
                    ? "no QEMU edu device (" + String.format("%04x:%04x", EduRegisters.VENDOR_ID, EduRegisters.DEVICE_ID)
                            + ") among the PCI functions (pci:list shows them); start the VM with -device edu"
                            + " (./bigbuf vm does)"
                    : "no edu device at " + PciAddress.parse(requested) + " (pci:list shows the PCI functions)");
        }
        return reasons;
    }

    private static long parseSize(String what, String text) {
        try {
            return ByteSize.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }

    private static long parseSeconds(String text) {
        try {
            long seconds = Long.parseLong(text.trim());
            if (seconds < 0 || seconds > MAX_WAIT_SECONDS) {
                throw new NumberFormatException();
            }
            return seconds;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--wait: '" + text + "' is not a number of seconds 0.." + MAX_WAIT_SECONDS, e);
        }
    }

    private static long parseSeed(String text) {
        try {
            return Long.decode(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seed: '" + text + "' is not a number", e);
        }
    }
}
