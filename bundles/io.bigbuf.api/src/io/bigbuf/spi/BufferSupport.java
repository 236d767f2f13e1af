package io.bigbuf.spi;

import io.bigbuf.api.BufferCloseListener;
import io.bigbuf.api.BufferOwner;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.CloseReason;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.DeviceMapping;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.PciAddress;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link DmaBuffer} of a backend built on {@link AllocatorSupport}: the accessors, the closed
 * check and the close-once sequence. A backend supplies the memory ({@link #memory()}) and how to
 * cut Java off from it ({@link #invalidate()}, typically closing the buffer's shared arena).
 *
 * <p>{@link #close()} first invalidates (every segment obtained so far throws
 * {@link IllegalStateException} from then on), then releases the record: so neither Java code nor,
 * once the pages are reused, a device ever sees memory that belongs to someone else.
 *
 * <p>Device mappings: the registry of this buffer's mappings, one per PCI function, and the rules
 * around it are here; the backend's {@link AllocatorSupport#mapBuffer} and
 * {@link AllocatorSupport#unmapBuffer} make and end them. {@link #mapFor} for a function the
 * buffer is mapped for already returns that mapping; mapping and unmapping of one buffer are
 * serialised, and wait for neither each other's nor other buffers' kernel calls. A closed buffer
 * has no mappings (the backend's release ends them with the memory).
 *
 * <p>Close listeners ({@link #addCloseListener}) are kept and called here, the same for every
 * backend: each once, after the record's release (the memory is gone from Java and from devices),
 * outside every lock of this class and of the allocator, in the thread that closed the buffer
 * ({@link #close()}, {@link #revoke()}, or {@link AllocatorSupport#shutdown()} with
 * {@link CloseReason#BACKEND_GONE}); one that throws is logged and the others still run.
 */
@ConsumerType
public abstract class BufferSupport implements DmaBuffer {

    private static final Logger LOG = System.getLogger(BufferSupport.class.getName());

    private final BufferRecord record;
    private final AtomicBoolean closing = new AtomicBoolean();
    /** Guarded by itself; also serialises map/unmap calls into the backend for this buffer. */
    private final Map<PciAddress, DeviceMapping> mappings = new TreeMap<>();
    /** Guards closeListeners and closeReason. */
    private final Object listenerLock = new Object();
    /** In the order added; null once they have been called (the buffer is closed and released). */
    private List<BufferCloseListener> closeListeners = new ArrayList<>();
    /** Why the buffer was closed; set by the close that won, before closeListeners becomes null. */
    private CloseReason closeReason;

    /**
     * A buffer on its allocator's record.
     *
     * @param record from {@link AllocatorSupport#newRecord}, used by this buffer only
     * @throws IllegalStateException the record already belongs to another buffer
     */
    protected BufferSupport(BufferRecord record) {
        this.record = record;
        record.attach(this);
    }

    /**
     * The memory, without the closed check; {@link #segment()} adds it.
     *
     * @return the buffer's segment
     */
    protected abstract MemorySegment memory();

    /**
     * Makes every segment of this buffer throw {@link IllegalStateException} (close its arena).
     * Called once, by {@link #close()}, before the record's release actions run.
     */
    protected abstract void invalidate();

    /**
     * The allocator's record of this buffer.
     *
     * @return the record given to the constructor
     */
    protected final BufferRecord record() {
        return record;
    }

    /** See {@link AllocatorSupport#addInitialMapping}. */
    final void addInitialMapping(DeviceMapping mapping) {
        synchronized (mappings) {
            mappings.put(mapping.device(), Objects.requireNonNull(mapping, "mapping"));
        }
    }

    @Override
    public final long id() {
        return record.id();
    }

    @Override
    public final long size() {
        return record.size();
    }

    @Override
    public final long physicalAddress() {
        if (record.contiguity() == Contiguity.DEVICE) {
            throw new IllegalStateException("buffer #" + id() + " is device-contiguous: its pages lie anywhere and"
                    + " it has no physical address; program deviceAddress(device) into the device");
        }
        return record.physicalAddress();
    }

    @Override
    public final Contiguity contiguity() {
        return record.contiguity();
    }

    @Override
    public final OptionalInt numaNode() {
        return record.numaNode() < 0 ? OptionalInt.empty() : OptionalInt.of(record.numaNode());
    }

    @Override
    public final long deviceAddress(PciAddress device) {
        return deviceMapping(device).orElseThrow(() -> new IllegalArgumentException("buffer #" + id()
                + " is not mapped for " + device + "; allocate it for the device (AllocationRequest.forDevice)"
                + " or call mapFor(" + device + ", limit)")).deviceAddress();
    }

    @Override
    public final Optional<DeviceMapping> deviceMapping(PciAddress device) {
        Objects.requireNonNull(device, "device");
        synchronized (mappings) {
            return Optional.ofNullable(mappings.get(device));
        }
    }

    @Override
    public final List<DeviceMapping> deviceMappings() {
        synchronized (mappings) {
            return List.copyOf(mappings.values());
        }
    }

    @Override
    public final DeviceMapping mapFor(PciAddress device, long maxDeviceAddress) {
        return map(device, maxDeviceAddress, false);
    }

    @Override
    public final DeviceMapping mapReadOnlyFor(PciAddress device, long maxDeviceAddress) {
        return map(device, maxDeviceAddress, true);
    }

    private DeviceMapping map(PciAddress device, long maxDeviceAddress, boolean deviceReadOnly) {
        Objects.requireNonNull(device, "device");
        if (maxDeviceAddress <= 0) {
            throw rejected(new InvalidAllocationRequestException("maxDeviceAddress must be positive, got 0x"
                    + Long.toHexString(maxDeviceAddress)));
        }
        synchronized (mappings) {
            if (isClosed()) {
                throw new IllegalStateException("buffer #" + id() + " (" + ByteSize.format(size()) + ") is closed");
            }
            DeviceMapping existing = mappings.get(device);
            if (existing != null) {
                if (existing.lastDeviceAddress() > maxDeviceAddress || existing.deviceReadOnly() != deviceReadOnly) {
                    throw rejected(new DeviceMappingException(device, DeviceMappingException.Reason.UNREACHABLE, "buffer #"
                            + id() + " is mapped for " + device + " already, " + (existing.deviceReadOnly()
                                    ? "read-only" : "read-write") + " at 0x" + Long.toHexString(existing.deviceAddress())
                            + "..0x" + Long.toHexString(existing.lastDeviceAddress()) + "; unmapFrom(" + device
                            + ") first to map it differently"));
                }
                return existing;
            }
            DeviceMapping mapping = record.allocator().map(this, device, maxDeviceAddress, deviceReadOnly);
            mappings.put(device, mapping);
            return mapping;
        }
    }

    /** A request turned down here, before the backend saw it, still counts in the allocator's statistics. */
    private RuntimeException rejected(RuntimeException e) {
        record.allocator().countRejected(e);
        return e;
    }

    @Override
    public final boolean unmapFrom(PciAddress device) {
        Objects.requireNonNull(device, "device");
        synchronized (mappings) {
            DeviceMapping mapping = mappings.get(device);
            if (mapping == null || isClosed()) {
                return false;
            }
            record.allocator().unmap(this, mapping);
            mappings.remove(device);
            return true;
        }
    }

    @Override
    public final String label() {
        return record.label();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Found by {@link AllocatorSupport#allocate} from the calling thread's stack, the same way
     * for every backend on this support layer. Since 1.3 of this package.
     */
    @Override
    public final Optional<BufferOwner> owner() {
        return record.owner();
    }

    @Override
    public final MemorySegment segment() {
        if (isClosed()) {
            throw new IllegalStateException("buffer #" + id() + " (" + ByteSize.format(size()) + ") is closed");
        }
        return memory();
    }

    @Override
    public final boolean isClosed() {
        return closing.get() || record.isReleased();
    }

    @Override
    public final void close() {
        close(CloseReason.CLOSED);
    }

    @Override
    public final void revoke() {
        close(CloseReason.REVOKED);
    }

    /** The close sequence; the first call wins and its reason is what the listeners learn. */
    final void close(CloseReason reason) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        synchronized (listenerLock) {
            closeReason = reason;
        }
        record.markClosedByOwner();
        // Waits for a mapFor/unmapFrom under way; the release ends the mappings with the memory.
        synchronized (mappings) {
            mappings.clear();
        }
        try {
            invalidate();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "closing buffer #" + id() + " failed: " + e, e);
        } finally {
            record.release();
        }
        List<BufferCloseListener> toCall;
        synchronized (listenerLock) {
            toCall = closeListeners;
            closeListeners = null;
        }
        for (BufferCloseListener listener : toCall) {
            tell(listener, reason);
        }
    }

    @Override
    public final void addCloseListener(BufferCloseListener listener) {
        Objects.requireNonNull(listener, "listener");
        CloseReason reason;
        synchronized (listenerLock) {
            if (closeListeners != null) {
                if (!closeListeners.contains(listener)) {
                    closeListeners.add(listener);
                }
                return;
            }
            reason = closeReason;
        }
        // Closed and released already: the listeners have been called, so this one is told now.
        tell(listener, reason);
    }

    @Override
    public final boolean removeCloseListener(BufferCloseListener listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (listenerLock) {
            return closeListeners != null && closeListeners.remove(listener);
        }
    }

    /** A listener's failure is its own: the buffer is closed either way, and the other listeners still hear of it. */
    private void tell(BufferCloseListener listener, CloseReason reason) {
        try {
            listener.bufferClosed(this, reason);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "close listener " + listener + " of buffer #" + id() + " (" + reason + ") failed: "
                    + e, e);
        }
    }

    @Override
    public final String toString() {
        return "DmaBuffer[#" + id() + ", " + ByteSize.format(size()) + (contiguity() == Contiguity.DEVICE
                ? " device-contiguous" : " at 0x" + Long.toHexString(physicalAddress()))
                + (label().isEmpty() ? "" : ", " + label()) + (isClosed() ? ", closed" : "") + "]";
    }
}
