package io.bigbuf.examples.consumer;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * How to use bigbuf from a component: keep one working buffer from whichever backend is best
 * right now, and move to a better one without restarting.
 *
 * <p>The reference is dynamic and greedy, so DS binds a higher-ranked allocator (the kernel
 * backend arriving) or a replacement (the current backend leaving while another exists) into
 * this same instance: {@link #bindAllocator} takes a buffer from the new backend first, then
 * releases the old one. Only when no backend is left does the mandatory reference deactivate the
 * component. A stale buffer is never used: a backend that goes away closes its buffers, and this
 * class closes its own copy too (closing twice is harmless).
 */
@Component(configurationPid = WorkingBufferConsumer.PID, service = {})
@Designate(ocd = WorkingBufferConfiguration.class)
public class WorkingBufferConsumer {

    /** Configuration PID; see {@link WorkingBufferConfiguration}. */
    public static final String PID = "io.bigbuf.examples.consumer";

    /** Label of the working buffer, visible in {@code bigbuf:list}. */
    public static final String LABEL = "example-consumer";

    /**
     * The working buffer starts with a header saying who filled it: this instance's random token
     * (a long at offset 0) and how many buffers it has acquired so far (an int at offset 8). A
     * memory dump, a device, or a test can thus tell a rebind (same token, next generation) from
     * a restart (new token).
     */
    public static final long HEADER_TOKEN_OFFSET = 0;

    /** See {@link #HEADER_TOKEN_OFFSET}. */
    public static final long HEADER_GENERATION_OFFSET = 8;

    private static final int HEADER_SIZE = 12;

    private static final Logger LOG = System.getLogger(WorkingBufferConsumer.class.getName());

    private final Object lock = new Object();
    private final long token = new SecureRandom().nextLong();
    private AllocationRequest request;
    private ContiguousAllocator allocator;
    private DmaBuffer buffer;
    private int generation;

    @Activate
    void activate(WorkingBufferConfiguration config) {
        AllocationRequest r = AllocationRequest.ofSize(ByteSize.parse(config.buffer_size())).withLabel(LABEL);
        if (config.address_bits() > 0) {
            r = r.withAddressBits(config.address_bits());
        }
        synchronized (lock) {
            request = r;
            // DS binds before activate: take the first buffer now that the request is known.
            acquireFrom(allocator, Map.of());
        }
    }

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindAllocator")
    void bindAllocator(ContiguousAllocator newAllocator, Map<String, Object> properties) {
        synchronized (lock) {
            DmaBuffer old = buffer;
            allocator = newAllocator;
            if (request != null) {
                acquireFrom(newAllocator, properties);
            }
            if (old != null && old != buffer) {
                old.close();
            }
        }
    }

    void unbindAllocator(ContiguousAllocator oldAllocator) {
        synchronized (lock) {
            if (allocator != oldAllocator) {
                return; // a replacement is already bound (greedy rebind: bind new, then unbind old)
            }
            allocator = null;
            if (buffer != null) {
                buffer.close();
                buffer = null;
            }
        }
    }

    @Deactivate
    void deactivate() {
        synchronized (lock) {
            if (buffer != null) {
                buffer.close();
                buffer = null;
            }
            request = null;
        }
    }

    /**
     * Takes a new working buffer and proves it is usable by writing and reading it. A failure is
     * logged and leaves the consumer without a buffer rather than failing the rebind.
     */
    private void acquireFrom(ContiguousAllocator source, Map<String, Object> properties) {
        if (source == null) {
            return;
        }
        try {
            DmaBuffer fresh = source.allocate(request);
            MemorySegment memory = fresh.segment();
            memory.fill((byte) 0x5A);
            if (memory.get(ValueLayout.JAVA_BYTE, memory.byteSize() - 1) != 0x5A) {
                fresh.close();
                throw new IllegalStateException("working buffer does not hold what was written");
            }
            generation++;
            if (memory.byteSize() >= HEADER_SIZE) {
                memory.set(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_TOKEN_OFFSET, token);
                memory.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_GENERATION_OFFSET, generation);
            }
            buffer = fresh;
            LOG.log(Level.INFO, "working buffer #{0} ({1}) at physical 0x{2} from backend {3} (generation {4})",
                    fresh.id(), ByteSize.format(fresh.size()), Long.toHexString(fresh.physicalAddress()),
                    properties.getOrDefault(AllocatorServiceProperties.BACKEND, source.backendInfo().name()),
                    generation);
        } catch (BigbufException e) {
            buffer = null;
            LOG.log(Level.WARNING, "cannot get a working buffer: " + e.getMessage());
        }
    }
}
