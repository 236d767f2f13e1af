package io.bigbuf.webconsole;

import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.memorymap.MemoryMap;
import io.bigbuf.memorymap.MemoryMapProvider;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.Serial;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The Web Console page {@code /system/console/bigbuf}: a Servlet API 5+ servlet with the
 * {@code felix.webconsole.label} property, which the Web Console wraps in its own page. Sees every
 * registered backend; the best-ranked one is the one the shell and greedy consumers are bound to.
 */
@Component(service = Servlet.class, property = {
    "felix.webconsole.label=bigbuf",
    "felix.webconsole.title=bigbuf",
    "felix.webconsole.category=bigbuf"
})
public class BigbufConsolePlugin extends HttpServlet {

    @Serial
    private static final long serialVersionUID = 1L;

    private final transient Map<ServiceReference<ContiguousAllocator>, ContiguousAllocator> backends =
            new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeBackend")
    void addBackend(ServiceReference<ContiguousAllocator> ref, ContiguousAllocator allocator) {
        backends.put(ref, allocator);
    }

    void removeBackend(ServiceReference<ContiguousAllocator> ref) {
        backends.remove(ref);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        List<ServiceReference<ContiguousAllocator>> refs = new ArrayList<>(backends.keySet());
        refs.sort(Collections.reverseOrder()); // ServiceReference order: higher ranking, then older, first
        List<ConsolePage.Backend> rows = new ArrayList<>();
        ContiguousAllocator bound = null;
        for (ServiceReference<ContiguousAllocator> ref : refs) {
            ContiguousAllocator a = backends.get(ref);
            if (a == null) {
                continue;
            }
            Object ranking = ref.getProperty(Constants.SERVICE_RANKING);
            rows.add(new ConsolePage.Backend(a.backendInfo(), ranking instanceof Integer r ? r : 0, bound == null));
            if (bound == null) {
                bound = a;
            }
        }
        List<DmaBuffer> buffers = List.of();
        Optional<AllocatorStatistics> stats = Optional.empty();
        Optional<MemoryMap> map = Optional.empty();
        String noMap = "no bigbuf backend is running";
        if (bound != null) {
            String name = bound.backendInfo().name();
            try {
                buffers = bound.buffers();
                stats = Optional.of(bound.statistics());
                if (bound instanceof MemoryMapProvider provider) {
                    noMap = "backend " + name + " cannot provide its memory map now (its device lacks the interface"
                            + " for it, e.g. a bigbuf kernel module without BIGBUF_FEATURE_MEMMAP)";
                    try {
                        map = provider.memoryMap();
                    } catch (BackendUnavailableException e) {
                        throw e;
                    } catch (BigbufException e) {
                        // A refusal, e.g. the kernel's map needs root: the page says why in place of the map.
                        noMap = "backend " + name + " cannot provide its memory map: " + e.getMessage();
                    }
                } else {
                    noMap = "backend " + name + " provides no memory map";
                }
            } catch (BackendUnavailableException e) {
                noMap = "backend " + name + " has just gone: " + e.getMessage();
            }
        }
        response.setContentType("text/html");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(ConsolePage.render(rows, buffers, stats, noMap, map));
    }
}
