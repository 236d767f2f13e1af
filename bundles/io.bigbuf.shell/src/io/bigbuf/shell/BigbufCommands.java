package io.bigbuf.shell;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.CurrentAllocator;
import io.bigbuf.api.DeviceMapping;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import io.bigbuf.memorymap.MemoryMap;
import io.bigbuf.memorymap.MemoryMapProvider;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.OptionalLong;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * Gogo commands in scope {@code bigbuf}. They talk to the best-ranked {@link ContiguousAllocator};
 * the reference is optional so the commands stay available (and say why they cannot work) when no
 * backend runs. Errors are exceptions with a one-line message, which Gogo prints as one line.
 *
 * <p>Allocators do not keep buffers that nobody references (see {@link ContiguousAllocator}), so
 * the commands keep a strong reference to every buffer {@code bigbuf:alloc} made, per backend,
 * until {@code bigbuf:free} closes it or that backend goes away (unbind, deactivation).
 */
@Component(service = BigbufCommands.class, property = {
    "osgi.command.scope=bigbuf",
    "osgi.command.function=alloc",
    "osgi.command.function=free",
    "osgi.command.function=list",
    "osgi.command.function=stats",
    "osgi.command.function=backend",
    "osgi.command.function=map",
    "osgi.command.function=unmap",
    "osgi.command.function=translation",
    "osgi.command.function=memmap"
})
public class BigbufCommands {

    /**
     * How long a command waits for a backend that is registered but not bound yet: SCR binds it
     * while the backend activates, so a command right after a backend (re)start would miss it.
     */
    private static final long BIND_GRACE_MILLIS = 5_000;

    static final String ALLOC_USAGE = "usage: bigbuf:alloc [--align A] [--below ADDR | --bits N] [--label L]"
            + " [--device PCI [--device-contiguous]] [--node N [--node-only]] SIZE";
    static final String MAP_USAGE = "usage: bigbuf:map [--below ADDR | --bits N] [--read-only] ID PCI";
    static final String UNMAP_USAGE = "usage: bigbuf:unmap ID PCI";
    static final String TRANSLATION_USAGE = "usage: bigbuf:translation PCI";
    static final String FREE_USAGE = "usage: bigbuf:free ID";
    static final String MEMMAP_USAGE = "usage: bigbuf:memmap [--size SIZE]";

    private final CurrentAllocator allocator = new CurrentAllocator();
    /**
     * The buffers bigbuf:alloc made, by backend (identity) and id: what keeps them alive. Static:
     * this is a delayed component, which SCR disposes whenever Gogo ungets it after a command.
     */
    private static final Map<ContiguousAllocator, Map<Long, DmaBuffer>> held = new IdentityHashMap<>();
    /** Set by deactivation: the unbinds that follow are this instance going, not the backend. */
    private volatile boolean deactivating;
    private volatile BundleContext context;

    @Activate
    void activate(BundleContext bundleContext) {
        this.context = bundleContext;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unsetAllocator")
    public void setAllocator(ContiguousAllocator newAllocator) {
        allocator.bind(newAllocator);
    }

    public void unsetAllocator(ContiguousAllocator oldAllocator) {
        allocator.unbind(oldAllocator);
        if (!deactivating) {
            synchronized (held) {
                held.remove(oldAllocator); // the backend closes them as it goes; nothing to keep
            }
        }
    }

    @Deactivate
    void deactivate() {
        deactivating = true; // SCR calls deactivate before the unbinds
    }

    /** Keeps a buffer this shell allocated reachable until bigbuf:free or its backend goes away. */
    private void hold(ContiguousAllocator owner, DmaBuffer buffer) {
        synchronized (held) {
            // Closed elsewhere (by their owner, or their backend went while no instance was bound).
            held.values().removeIf(ofOwner -> {
                ofOwner.values().removeIf(DmaBuffer::isClosed);
                return ofOwner.isEmpty();
            });
            held.computeIfAbsent(owner, o -> new LinkedHashMap<>()).put(buffer.id(), buffer);
        }
    }

    /** Stops keeping a buffer; whether this shell had allocated it. */
    private boolean release(ContiguousAllocator owner, long id) {
        synchronized (held) {
            Map<Long, DmaBuffer> ofOwner = held.get(owner);
            return ofOwner != null && ofOwner.remove(id) != null;
        }
    }

    /** How many open buffers the shell keeps, over all backends (for tests). */
    int heldBuffers() {
        synchronized (held) {
            return (int) held.values().stream().flatMap(m -> m.values().stream()).filter(b -> !b.isClosed()).count();
        }
    }

    @Descriptor("allocate a contiguous buffer, physically or (--device-contiguous) for a device; sizes like"
            + " 4096, 64K, 64M, 1G")
    public String alloc(
            @Descriptor("alignment, a power of two >= page size (default: page)")
            @Parameter(names = {"-a", "--align"}, absentValue = "0") String align,
            @Descriptor("the buffer must end below this address, e.g. 4G for a 32-bit device (with --device: the"
                    + " device's address)")
            @Parameter(names = {"-b", "--below"}, absentValue = "") String below,
            @Descriptor("device address width in bits, e.g. 28 or 32 (alternative to --below); 0 means no limit of"
                    + " its own, like leaving it out: anywhere, or with --device the function's 32-bit default")
            @Parameter(names = {"--bits"}, absentValue = "") String bits,
            @Descriptor("label shown by bigbuf:list")
            @Parameter(names = {"-l", "--label"}, absentValue = "shell") String label,
            @Descriptor("map the buffer for this PCI function, e.g. 0000:00:04.0, and place it on its NUMA node")
            @Parameter(names = {"-d", "--device"}, absentValue = "") String device,
            @Descriptor("contiguous for the --device only (needs a translating IOMMU): pages anywhere")
            @Parameter(names = {"--device-contiguous"}, presentValue = "true", absentValue = "false")
            boolean deviceContiguous,
            @Descriptor("NUMA node to take the memory from (default: the device's, else any)")
            @Parameter(names = {"-n", "--node"}, absentValue = "") String node,
            @Descriptor("with --node: that node only, no fallback")
            @Parameter(names = {"--node-only"}, presentValue = "true", absentValue = "false") boolean nodeOnly,
            @Descriptor("size in bytes, e.g. 64M") String... operands) {
        String size = operands(ALLOC_USAGE, 1, operands)[0];
        AllocationRequest request = AllocationRequest.ofSize(parseSize("size", size))
                .withAlignment(parseSize("--align", align))
                .withLabel(label);
        request = withLimit(request, below, bits);
        if (!device.isEmpty()) {
            request = request.forDevice(parsePci("--device", device));
        }
        if (deviceContiguous) {
            request = request.withContiguity(Contiguity.DEVICE);
        }
        if (!node.isEmpty()) {
            int n = parseInt("--node", node);
            request = nodeOnly ? request.onNodeOnly(n) : request.onNode(n);
        } else if (nodeOnly) {
            throw new IllegalArgumentException("--node-only needs --node N");
        }
        ContiguousAllocator current = current();
        DmaBuffer buffer = current.allocate(request);
        hold(current, buffer);
        return "allocated " + describe(buffer);
    }

    @Descriptor("map a buffer for a further PCI function and print the address that function must use")
    public String map(
            @Descriptor("the function reaches addresses below this one, e.g. 4G (default: its 32-bit default)")
            @Parameter(names = {"-b", "--below"}, absentValue = "") String below,
            @Descriptor("the function's address width in bits, e.g. 28 (alternative to --below); 0 means its 32-bit"
                    + " default, like leaving it out")
            @Parameter(names = {"--bits"}, absentValue = "") String bits,
            @Descriptor("the function may only read the buffer")
            @Parameter(names = {"--read-only"}, presentValue = "true", absentValue = "false") boolean readOnly,
            @Descriptor("buffer id (see bigbuf:list), then the PCI function, e.g. 0000:00:04.0") String... operands) {
        String[] idAndDevice = operands(MAP_USAGE, 2, operands);
        DmaBuffer buffer = buffer(idAndDevice[0]);
        PciAddress pci = parsePci("device", idAndDevice[1]);
        long limit = withLimit(AllocationRequest.ofSize(1), below, bits).maxAddress();
        DeviceMapping mapping = readOnly ? buffer.mapReadOnlyFor(pci, limit) : buffer.mapFor(pci, limit);
        return "mapped #" + buffer.id() + " for " + describe(mapping);
    }

    @Descriptor("end a buffer's mapping for a PCI function: it must not use the address any more")
    public String unmap(@Descriptor("buffer id (see bigbuf:list), then the PCI function, e.g. 0000:00:04.0")
            String... operands) {
        String[] idAndDevice = operands(UNMAP_USAGE, 2, operands);
        DmaBuffer buffer = buffer(idAndDevice[0]);
        PciAddress pci = parsePci("device", idAndDevice[1]);
        if (!buffer.unmapFrom(pci)) {
            throw new IllegalArgumentException("buffer #" + buffer.id() + " is not mapped for " + pci);
        }
        return "unmapped #" + buffer.id() + " from " + pci;
    }

    @Descriptor("how a PCI function sees memory: physical addresses, or translated by an IOMMU")
    public String translation(@Descriptor("PCI function, e.g. 0000:00:04.0") String... operands) {
        PciAddress pci = parsePci("device", operands(TRANSLATION_USAGE, 1, operands)[0]);
        DmaTranslation t = current().translation(pci);
        return pci + "  " + t.name().toLowerCase(Locale.ROOT) + switch (t) {
            case DIRECT -> " (no IOMMU: device addresses are physical addresses)";
            case IDENTITY -> " (IOMMU in passthrough: device addresses are physical addresses)";
            case TRANSLATED -> " (IOMMU: device addresses are I/O virtual addresses of this function only)";
        };
    }

    @Descriptor("close a buffer by id (see bigbuf:list); one another bundle holds is revoked, and its owner told")
    public String free(@Descriptor("buffer id") String... operands) {
        String id = operands(FREE_USAGE, 1, operands)[0];
        ContiguousAllocator current = current();
        DmaBuffer buffer = buffer(current, id);
        String description = describe(buffer);
        if (release(current, buffer.id())) {
            buffer.close();
            return "freed " + description;
        }
        // Someone else's buffer: taken away from its owner, whose close listeners learn REVOKED.
        buffer.revoke();
        return "freed " + description + "; revoked from its owner";
    }

    @Descriptor("list the open buffers of the current backend")
    public String list() {
        List<DmaBuffer> buffers = current().buffers();
        if (buffers.isEmpty()) {
            return "no open buffers";
        }
        // The owner column is as wide as its longest entry, so the free-form label can stay last.
        int ownerWidth = Math.max("OWNER".length(), buffers.stream().mapToInt(b -> owner(b).length()).max().orElse(0));
        String owner = "%-" + ownerWidth + "s";
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%6s %12s %20s %20s  " + owner + "  %s%n",
                "ID", "SIZE", "PHYS-START", "PHYS-END", "OWNER", "LABEL"));
        for (DmaBuffer b : buffers) {
            if (b.contiguity() == Contiguity.DEVICE) {
                out.append(String.format(Locale.ROOT, "%6d %12s %41s  " + owner + "  %s%n", b.id(),
                        ByteSize.format(b.size()), "(device-contiguous)", owner(b), b.label()));
            } else {
                out.append(String.format(Locale.ROOT, "%6d %12s %#20x %#20x  " + owner + "  %s%n", b.id(),
                        ByteSize.format(b.size()), b.physicalAddress(), b.physicalAddress() + b.size() - 1, owner(b),
                        b.label()));
            }
            for (DeviceMapping m : b.deviceMappings()) {
                out.append(String.format(Locale.ROOT, "%6s %12s %#20x %#20x  for %s (%s%s)%n", "", "device",
                        m.deviceAddress(), m.lastDeviceAddress(), m.device(),
                        m.translation().name().toLowerCase(Locale.ROOT), m.deviceReadOnly() ? ", read-only" : ""));
            }
        }
        return out.toString().stripTrailing();
    }

    @Descriptor("usage counters of the current backend")
    public String stats() {
        ContiguousAllocator current = current();
        AllocatorStatistics s = current.statistics();
        BackendInfo info = current.backendInfo();
        return String.join(System.lineSeparator(),
                "backend           " + info.name(),
                "live buffers      " + s.liveBuffers(),
                "bytes held        " + ByteSize.format(s.bytesHeld()) + " (" + s.bytesHeld() + ")",
                "largest free run  " + (s.largestContiguousFree().isPresent()
                        ? ByteSize.format(s.largestContiguousFree().getAsLong()) : "unknown"),
                "allocations       " + s.allocations(),
                "failures          " + s.failures(),
                "rejected          " + s.rejected());
    }

    @Descriptor("draw the backend's physical memory, one character per block, and where a buffer could still be built")
    public String memmap(
            @Descriptor("also show where a buffer of this size could still be built, e.g. 256M")
            @Parameter(names = {"-s", "--size"}, absentValue = "") String size,
            @Descriptor("no operands") String... operands) {
        operands(MEMMAP_USAGE, 0, operands);
        OptionalLong wanted = OptionalLong.empty();
        if (!size.isEmpty()) {
            long bytes = parseSize("--size", size);
            if (bytes <= 0) {
                throw new IllegalArgumentException("--size must be positive, got '" + size + "'");
            }
            wanted = OptionalLong.of(bytes);
        }
        ContiguousAllocator current = current();
        String name = current.backendInfo().name();
        if (!(current instanceof MemoryMapProvider provider)) {
            throw new IllegalStateException("backend " + name + " provides no memory map");
        }
        // A refusal (e.g. the kernel's map needs root) propagates as the backend's one-line exception.
        MemoryMap map = provider.memoryMap().orElseThrow(() -> new IllegalStateException(noMapNow(name)));
        return MemoryMapText.render(name, map, wanted).stripTrailing();
    }

    /** Why a {@link MemoryMapProvider} answered empty; the web console says the same. */
    static String noMapNow(String backend) {
        return "backend " + backend + " cannot provide its memory map now (its device lacks the interface for it,"
                + " e.g. a bigbuf kernel module without BIGBUF_FEATURE_MEMMAP)";
    }

    @Descriptor("which backend serves the commands")
    public String backend() {
        BackendInfo info = current().backendInfo();
        return String.join(System.lineSeparator(),
                "name              " + info.name(),
                "description       " + info.description(),
                "real bus address  " + (info.realBusAddresses() ? "yes (usable for device DMA)"
                        : "no (simulated, do not program into a device)"),
                "device mapping    " + (info.deviceMapping() ? "yes (bigbuf:alloc --device, bigbuf:map)" : "no"),
                "page size         " + ByteSize.format(info.pageSize()),
                "max block         " + ByteSize.format(info.maxBlockSize()),
                "memory            " + (info.totalBytes() < 0 ? "unknown" : ByteSize.format(info.totalBytes())));
    }

    private ContiguousAllocator current() {
        awaitRegisteredBackend();
        return allocator.get().orElseGet(() -> allocator.require(whyNoBackend()));
    }

    /** The reason SCR knows; without a framework (unit tests) the generic advice. */
    private String whyNoBackend() {
        BundleContext bundleContext = context;
        if (bundleContext == null) {
            return BackendDiagnosis.NO_BACKEND;
        }
        ServiceReference<ServiceComponentRuntime> ref;
        try {
            ref = bundleContext.getServiceReference(ServiceComponentRuntime.class);
        } catch (IllegalStateException stopping) {
            return BackendDiagnosis.NO_BACKEND;
        }
        ServiceComponentRuntime scr = ref == null ? null : bundleContext.getService(ref);
        try {
            return BackendDiagnosis.explain(scr);
        } finally {
            if (scr != null) {
                bundleContext.ungetService(ref);
            }
        }
    }

    private void awaitRegisteredBackend() {
        BundleContext bundleContext = context;
        if (bundleContext == null || allocator.get().isPresent()) {
            return;
        }
        long deadline = System.nanoTime() + BIND_GRACE_MILLIS * 1_000_000;
        while (allocator.get().isEmpty() && System.nanoTime() < deadline
                && bundleContext.getServiceReference(ContiguousAllocator.class) != null) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private DmaBuffer buffer(String id) {
        return buffer(current(), id);
    }

    private static DmaBuffer buffer(ContiguousAllocator current, String id) {
        long bufferId = parseId(id);
        return current.buffer(bufferId).orElseThrow(() -> new IllegalArgumentException(
                "no open buffer #" + bufferId + "; bigbuf:list shows the open ones"));
    }

    /**
     * The operands of a command, exactly {@code count} of them: Gogo hands over whatever is left
     * after the options it knows, so a missing or extra operand and an unknown option end here.
     *
     * @throws IllegalArgumentException one line naming the problem, then the usage
     */
    static String[] operands(String usage, int count, String... operands) {
        String[] given = operands == null ? new String[0] : operands;
        for (String operand : given) {
            if (operand.length() > 1 && operand.charAt(0) == '-' && !Character.isDigit(operand.charAt(1))) {
                throw new IllegalArgumentException("unknown option " + operand + "; " + usage);
            }
        }
        if (given.length != count) {
            throw new IllegalArgumentException((given.length < count
                    ? (count - given.length == 1 && count == 1 ? "missing operand" : "missing operands")
                    : "too many operands") + "; " + usage);
        }
        return given;
    }

    /** The request limited by --below or --bits (absent: "", and --bits 0 means no limit of its own). */
    private static AllocationRequest withLimit(AllocationRequest request, String below, String bits) {
        if (!below.isEmpty() && !bits.isEmpty()) {
            throw new IllegalArgumentException("--below and --bits are alternatives: give one of them");
        }
        if (!below.isEmpty()) {
            long limit = parseSize("--below", below);
            if (limit <= 0) {
                throw new IllegalArgumentException("--below must be a positive address, got '" + below + "'");
            }
            request = request.withMaxAddress(limit - 1);
        }
        if (!bits.isEmpty() && parseInt("--bits", bits) != 0) {
            request = request.withAddressBits(parseInt("--bits", bits));
        }
        return request;
    }

    /** The bundle that allocated the buffer, {@code -} if none (allocated outside a framework). */
    private static String owner(DmaBuffer b) {
        return b.owner().map(Object::toString).orElse("-");
    }

    private static String describe(DmaBuffer b) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "#%d: %s ", b.id(), ByteSize.format(b.size())));
        if (b.contiguity() == Contiguity.DEVICE) {
            s.append("device-contiguous");
        } else {
            s.append(String.format(Locale.ROOT, "at physical 0x%x..0x%x", b.physicalAddress(),
                    b.physicalAddress() + b.size() - 1));
        }
        for (DeviceMapping m : b.deviceMappings()) {
            s.append(", ").append(describe(m));
        }
        b.numaNode().ifPresent(node -> s.append(", node ").append(node));
        return s.append(b.label().isEmpty() ? "" : " (" + b.label() + ")").toString();
    }

    private static String describe(DeviceMapping m) {
        return String.format(Locale.ROOT, "%s at device 0x%x..0x%x (%s%s)", m.device(), m.deviceAddress(),
                m.lastDeviceAddress(), m.translation().name().toLowerCase(Locale.ROOT),
                m.deviceReadOnly() ? ", read-only" : "");
    }

    private static PciAddress parsePci(String what, String text) {
        try {
            return PciAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }

    private static long parseSize(String what, String text) {
        try {
            return ByteSize.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }

    private static int parseInt(String what, String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not a number", e);
        }
    }

    private static long parseId(String text) {
        try {
            long id = Long.parseLong(text.trim().startsWith("#") ? text.trim().substring(1) : text.trim());
            if (id <= 0) {
                throw new NumberFormatException();
            }
            return id;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a buffer id; ids are positive numbers from bigbuf:list", e);
        }
    }
}
