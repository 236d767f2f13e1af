package io.bigbuf.shell;

import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The buffers open in some backends at one moment, to tell afterwards how many of them a
 * configuration change closed: a backend restarted by it closes every buffer it handed out, and
 * the user should hear that rather than find them gone.
 */
final class OpenBuffers {

    private final List<DmaBuffer> buffers;

    private OpenBuffers(List<DmaBuffer> buffers) {
        this.buffers = buffers;
    }

    /** The buffers open now in the allocators behind {@code backends}. */
    static OpenBuffers of(BundleContext context, Collection<ServiceReference<ContiguousAllocator>> backends) {
        List<DmaBuffer> open = new ArrayList<>();
        for (ServiceReference<ContiguousAllocator> ref : backends) {
            ContiguousAllocator allocator = context.getService(ref);
            if (allocator == null) {
                continue; // gone meanwhile
            }
            try {
                open.addAll(allocator.buffers());
            } catch (RuntimeException shutDown) {
                // a backend on its way out has no buffers to lose any more
            } finally {
                context.ungetService(ref);
            }
        }
        return new OpenBuffers(open);
    }

    /** How many of them are closed by now. */
    int closed() {
        return (int) buffers.stream().filter(DmaBuffer::isClosed).count();
    }

    /** "; restarting PID closed N buffers", or "" when the change closed none. */
    String closedNote(String pid) {
        int closed = closed();
        return closed == 0 ? "" : "; restarting " + pid + " closed " + count(closed);
    }

    static String count(int buffers) {
        return buffers + (buffers == 1 ? " buffer" : " buffers");
    }
}
