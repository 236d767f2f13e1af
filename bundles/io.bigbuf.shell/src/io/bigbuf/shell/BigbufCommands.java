package io.bigbuf.shell;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.CurrentAllocator;
import io.bigbuf.api.DmaBuffer;
import java.util.List;
import java.util.Locale;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Gogo commands in scope {@code bigbuf}. They talk to the best-ranked {@link ContiguousAllocator};
 * the reference is optional so the commands stay available (and say why they cannot work) when no
 * backend runs. Errors are exceptions with a one-line message, which Gogo prints as one line.
 */
@Component(service = BigbufCommands.class, property = {
    "osgi.command.scope=bigbuf",
    "osgi.command.function=alloc",
    "osgi.command.function=free",
    "osgi.command.function=list",
    "osgi.command.function=stats",
    "osgi.command.function=backend"
})
public class BigbufCommands {

    private final CurrentAllocator allocator = new CurrentAllocator();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unsetAllocator")
    public void setAllocator(ContiguousAllocator newAllocator) {
        allocator.bind(newAllocator);
    }

    public void unsetAllocator(ContiguousAllocator oldAllocator) {
        allocator.unbind(oldAllocator);
    }

    @Descriptor("allocate a physically contiguous buffer; sizes like 4096, 64K, 64M, 1G")
    public String alloc(
            @Descriptor("physical alignment, a power of two >= page size (default: page)")
            @Parameter(names = {"-a", "--align"}, absentValue = "0") String align,
            @Descriptor("the buffer must end below this physical address, e.g. 4G for a 32-bit device")
            @Parameter(names = {"-b", "--below"}, absentValue = "") String below,
            @Descriptor("device address width in bits, e.g. 28 or 32 (alternative to --below)")
            @Parameter(names = {"--bits"}, absentValue = "0") String bits,
            @Descriptor("label shown by bigbuf:list")
            @Parameter(names = {"-l", "--label"}, absentValue = "shell") String label,
            @Descriptor("size in bytes, e.g. 64M") String size) {
        AllocationRequest request = AllocationRequest.ofSize(parseSize("size", size))
                .withAlignment(parseSize("--align", align))
                .withLabel(label);
        if (!below.isEmpty()) {
            long limit = parseSize("--below", below);
            if (limit <= 0) {
                throw new IllegalArgumentException("--below must be a positive address, got '" + below + "'");
            }
            request = request.withMaxAddress(limit - 1);
        }
        if (!"0".equals(bits)) {
            request = request.withAddressBits(parseInt("--bits", bits));
        }
        DmaBuffer buffer = current().allocate(request);
        return "allocated " + describe(buffer);
    }

    @Descriptor("close a buffer by id (see bigbuf:list)")
    public String free(@Descriptor("buffer id") String id) {
        long bufferId = parseId(id);
        DmaBuffer buffer = current().buffer(bufferId).orElseThrow(() -> new IllegalArgumentException(
                "no open buffer #" + bufferId + "; bigbuf:list shows the open ones"));
        String description = describe(buffer);
        buffer.close();
        return "freed " + description;
    }

    @Descriptor("list the open buffers of the current backend")
    public String list() {
        List<DmaBuffer> buffers = current().buffers();
        if (buffers.isEmpty()) {
            return "no open buffers";
        }
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%6s %12s %20s %20s  %s%n",
                "ID", "SIZE", "PHYS-START", "PHYS-END", "LABEL"));
        for (DmaBuffer b : buffers) {
            out.append(String.format(Locale.ROOT, "%6d %12s %#20x %#20x  %s%n", b.id(), ByteSize.format(b.size()),
                    b.physicalAddress(), b.physicalAddress() + b.size() - 1, b.label()));
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

    @Descriptor("which backend serves the commands")
    public String backend() {
        BackendInfo info = current().backendInfo();
        return String.join(System.lineSeparator(),
                "name              " + info.name(),
                "description       " + info.description(),
                "real bus address  " + (info.realBusAddresses() ? "yes (usable for device DMA)"
                        : "no (simulated, do not program into a device)"),
                "page size         " + ByteSize.format(info.pageSize()),
                "max block         " + ByteSize.format(info.maxBlockSize()),
                "memory            " + (info.totalBytes() < 0 ? "unknown" : ByteSize.format(info.totalBytes())));
    }

    private ContiguousAllocator current() {
        return allocator.require("no bigbuf backend is running; start bundle io.bigbuf.mock or load the kernel module");
    }

    private static String describe(DmaBuffer b) {
        return String.format(Locale.ROOT, "#%d: %s at physical 0x%x..0x%x%s", b.id(), ByteSize.format(b.size()),
                b.physicalAddress(), b.physicalAddress() + b.size() - 1, b.label().isEmpty() ? "" : " (" + b.label() + ")");
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
