package io.bigbuf.examples.consumer;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.BufferCloseListener;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.CloseReason;
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
 *
 * <p>A buffer can also be taken away while its backend stays: an administrator frees it
 * ({@code bigbuf:free}, {@link DmaBuffer#revoke()}). The consumer listens for its buffer being
 * closed ({@link DmaBuffer#addCloseListener}) and takes a new one from the same backend, so it is
 * never left without a buffer; when the backend goes instead, DS binds the replacement (or
 * deactivates the component) and {@link #bindAllocator} takes the buffer.
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
    private Map<String, Object> allocatorProperties = Map.of();
    private DmaBuffer buffer;
    private int generation;
    /** One listener for every working buffer; it ignores buffers that are no longer the current one. */
    private final BufferCloseListener closeListener = this::bufferClosed;

    @Activate
    void activate(WorkingBufferConfiguration config) {
        AllocationRequest r = AllocationRequest.ofSize(ByteSize.parse(config.buffer_size())).withLabel(LABEL);
        if (config.address_bits() > 0) {
            r = r.withAddressBits(config.address_bits());
        }
        synchronized (lock) {
            request = r;
            // DS binds before activate: take the first buffer now that the request is known.
            acquireFrom(allocator, allocatorProperties, null);
        }
    }

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindAllocator")
    void bindAllocator(ContiguousAllocator newAllocator, Map<String, Object> properties) {
        synchronized (lock) {
            DmaBuffer old = buffer;
            allocator = newAllocator;
            allocatorProperties = Map.copyOf(properties);
            if (request != null) {
                acquireFrom(newAllocator, properties, null);
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
            allocatorProperties = Map.of();
            closeOwn();
        }
    }

    @Deactivate
    void deactivate() {
        synchronized (lock) {
            closeOwn();
            request = null;
        }
    }

    /** Closes the working buffer; not current any more first, so that its close listener ignores it. */
    private void closeOwn() {
        DmaBuffer own = buffer;
        buffer = null;
        if (own != null) {
            own.close();
        }
    }

    /**
     * The working buffer was closed under this consumer: revoked by an administrator, or released
     * by its backend going away. Called by whoever closed it, after its memory is gone.
     */
    private void bufferClosed(DmaBuffer closed, CloseReason reason) {
        synchronized (lock) {
            if (closed != buffer) {
                return; // one this consumer replaced or closed itself
            }
            buffer = null;
            String what = "working buffer #" + closed.id() + " was " + switch (reason) {
                case BACKEND_GONE -> "released by its backend going away";
                case CLOSED -> "closed by another bundle";
                default -> "revoked (freed by an administrator)";
            };
            if (reason == CloseReason.BACKEND_GONE || request == null || allocator == null) {
                // DS binds the replacement backend, if any, and bindAllocator takes a buffer there.
                LOG.log(Level.INFO, what + "; waiting for a backend");
                return;
            }
            acquireFrom(allocator, allocatorProperties, what);
        }
    }

    /**
     * Takes a new working buffer and proves it is usable by writing and reading it. A failure is
     * logged and leaves the consumer without a buffer rather than failing the rebind.
     *
     * @param cause what happened to the previous buffer, said in the same log line; null if nothing
     */
    private void acquireFrom(ContiguousAllocator source, Map<String, Object> properties, String cause) {
        if (source == null) {
            return;
        }
        String prefix = cause == null ? "" : cause + "; re-acquired ";
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
            fresh.addCloseListener(closeListener);
            LOG.log(Level.INFO, String.format("%sworking buffer #%d (%s) at physical 0x%x from backend %s (generation %d)",
                    prefix, fresh.id(), ByteSize.format(fresh.size()), fresh.physicalAddress(),
                    properties.getOrDefault(AllocatorServiceProperties.BACKEND, source.backendInfo().name()),
                    generation));
        } catch (BigbufException e) {
            buffer = null;
            LOG.log(Level.WARNING, (cause == null ? "" : cause + "; ") + "cannot get a working buffer: " + e.getMessage());
        }
    }
}
