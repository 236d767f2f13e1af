package @driver.package@;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.BufferCloseListener;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.CloseReason;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.PciAddress;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The @driver.name@ driver: holds one DMA buffer from the best bigbuf backend, within the device's
 * address limit ({@link @driver.class@Configuration}), and hands its address to the device.
 *
 * <p>The allocator reference is dynamic and greedy: when a better backend appears (the kernel
 * module's, ranked above the mock) or the current one leaves while another is there, DS binds
 * the new one into this same instance; {@link #bindAllocator} takes a buffer there first, then
 * closes the old one. Without any backend the mandatory reference deactivates the component.
 *
 * <p>A buffer can be closed under the driver: revoked by an administrator ({@code bigbuf:free}) or
 * released by its backend going away. The {@link BufferCloseListener} hears of it; a revoked
 * buffer is replaced from the same backend, a backend that goes is left to DS to replace.
 *
 * <p>Your code goes where it says "device": program the device with {@link #dmaAddress} in
 * {@link #start}, stop it in {@link #stop}. A device must never use a closed buffer's address.
 */
@Component(configurationPid = @driver.class@.PID, service = {})
@Designate(ocd = @driver.class@Configuration.class)
public class @driver.class@ {

    /** Configuration PID; see {@link @driver.class@Configuration}. */
    public static final String PID = "@driver.name@";

    /** Label of the driver's buffer, shown by {@code bigbuf:list}. */
    public static final String LABEL = "@driver.name@";

    private static final Logger LOG = System.getLogger(@driver.class@.class.getName());

    private final Object lock = new Object();
    private final BufferCloseListener closeListener = this::bufferClosed;
    private AllocationRequest request; // null while not active
    private PciAddress device;
    private ContiguousAllocator allocator;
    private DmaBuffer buffer;

    /** What {@code config} asks for: the buffer's size, label, address limit and PCI function. */
    static AllocationRequest requestOf(@driver.class@Configuration config) {
        AllocationRequest r = AllocationRequest.ofSize(ByteSize.parse(config.buffer_size())).withLabel(LABEL);
        if (config.address_bits() > 0) {
            r = r.withAddressBits(config.address_bits());
        }
        if (!config.pci_device().isBlank()) {
            r = r.forDevice(PciAddress.parse(config.pci_device().trim()));
        }
        return r;
    }

    @Activate
    void activate(@driver.class@Configuration config) {
        AllocationRequest r = requestOf(config); // a bad value fails the activation, SCR shows why
        synchronized (lock) {
            request = r;
            device = r.device();
            // DS binds the reference before activating: take the first buffer now.
            acquire(null);
        }
    }

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindAllocator")
    void bindAllocator(ContiguousAllocator newAllocator) {
        synchronized (lock) {
            DmaBuffer old = buffer;
            allocator = newAllocator;
            if (request != null) {
                acquire(null);
            }
            if (old != null && old != buffer) {
                if (buffer == null) {
                    stop(old); // the new backend gave no buffer: the device must not go on with the old one
                }
                old.close(); // otherwise the device moved to the new buffer already (acquire)
            }
        }
    }

    void unbindAllocator(ContiguousAllocator oldAllocator) {
        synchronized (lock) {
            if (allocator != oldAllocator) {
                return; // a replacement is bound already (greedy: bind the new, then unbind the old)
            }
            allocator = null;
            release();
        }
    }

    @Deactivate
    void deactivate() {
        synchronized (lock) {
            release();
            request = null;
        }
    }

    /** The buffer the driver holds now, if any. */
    public Optional<DmaBuffer> buffer() {
        synchronized (lock) {
            return Optional.ofNullable(buffer);
        }
    }

    /** The address the device must use for {@code b}: its device address if mapped for one, else physical. */
    long dmaAddress(DmaBuffer b) {
        return device == null ? b.physicalAddress() : b.deviceAddress(device);
    }

    /** Device: start DMA into {@code b} at {@link #dmaAddress}. Here: make the buffer's contents known. */
    private void start(DmaBuffer b) {
        b.segment().fill((byte) 0);
        // e.g. registers.write(DMA_BASE, dmaAddress(b)); registers.write(DMA_SIZE, b.size());
    }

    /** Device: stop all DMA into {@code b}; called before the buffer is closed. */
    private void stop(DmaBuffer b) {
        // e.g. registers.write(DMA_CONTROL, 0); wait until the device is idle.
    }

    /** Stops the device and closes the buffer; not current first, so that the close listener ignores it. */
    private void release() {
        DmaBuffer own = buffer;
        buffer = null;
        if (own != null) {
            stop(own);
            own.close();
        }
    }

    /**
     * Takes a buffer from the bound allocator and starts the device on it. A failure (no memory
     * below the limit, a device the backend cannot map) is logged and leaves the driver without a
     * buffer; the component stays active, and a new backend or configuration tries again.
     */
    private void acquire(String cause) {
        if (allocator == null) {
            return;
        }
        String prefix = cause == null ? "" : cause + "; ";
        try {
            DmaBuffer fresh = allocator.allocate(request);
            try {
                start(fresh);
            } catch (RuntimeException e) {
                fresh.close();
                throw e;
            }
            buffer = fresh;
            fresh.addCloseListener(closeListener);
            LOG.log(Level.INFO, String.format("%sDMA buffer #%d (%s) at 0x%x for the device, physical 0x%x, from %s",
                    prefix, fresh.id(), ByteSize.format(fresh.size()), dmaAddress(fresh), fresh.physicalAddress(),
                    allocator.backendInfo().name()));
        } catch (BigbufException e) {
            buffer = null;
            LOG.log(Level.WARNING, prefix + "no DMA buffer for the device: " + e.getMessage());
        }
    }

    /** The buffer was closed under the driver, by whoever closed it, after its memory is gone. */
    private void bufferClosed(DmaBuffer closed, CloseReason reason) {
        synchronized (lock) {
            if (closed != buffer) {
                return; // one the driver replaced or closed itself
            }
            buffer = null;
            stop(closed); // too late for its memory: make sure the device does not go on
            String what = "DMA buffer #" + closed.id() + switch (reason) {
                case REVOKED -> " was revoked (freed by an administrator)";
                case BACKEND_GONE -> " was released by its backend going away";
                default -> " was closed by another bundle";
            };
            if (reason == CloseReason.BACKEND_GONE || request == null) {
                LOG.log(Level.INFO, what + "; waiting for a backend"); // DS binds the next one, if any
                return;
            }
            acquire(what);
        }
    }
}
