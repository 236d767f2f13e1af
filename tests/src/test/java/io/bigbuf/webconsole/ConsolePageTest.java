package io.bigbuf.webconsole;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.BufferOwner;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.memorymap.BlockState;
import io.bigbuf.memorymap.MemoryMap;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The bigbuf page's HTML: tables, one SVG cell per block with its state, escaping, no map. */
class ConsolePageTest {

    private static final long MIB = 1 << 20;

    @Test
    void tablesAndOneCellPerBlockInTheColourOfItsState() {
        MockAllocator mock = new MockAllocator(new PhysicalMemoryModel(0, 64 * MIB, 4096, 10), "64 MiB <test>", 0);
        try {
            DmaBuffer buffer = mock.allocate(AllocationRequest.ofSize(8 * MIB).withLabel("a&b"));
            MemoryMap map = mock.memoryMap().orElseThrow();
            String html = ConsolePage.render(List.of(new ConsolePage.Backend(mock.backendInfo(), 100, true),
                    new ConsolePage.Backend(new BackendInfo("kmod", "other", true, 4096, 4 * MIB, -1), 1000, false)),
                    mock.buffers(), Optional.of(mock.statistics()), "unused", Optional.of(map));
            assertTrue(html.contains("<td>mock</td><td>64 MiB &lt;test&gt;</td><td>100</td><td>yes</td>"), html);
            assertTrue(html.contains("<td>kmod</td><td>other</td><td>1000</td><td>no</td>"), html);
            assertTrue(html.contains("<tr data-id=\"" + buffer.id() + "\"><td>" + buffer.id() + "</td><td>8 MiB</td><td>0x3800000"
                    + "</td><td>0x3ffffff</td><td></td><td>a&amp;b</td><td></td></tr>"), html);
            assertEquals(16, html.split("<rect x=", -1).length - 1, html);
            assertTrue(html.contains("<rect x=\"140\" y=\"0\" width=\"10\" height=\"10\" fill=\"#1f5fbf\" data-block=\"14\""
                    + " data-state=\"BUFFER\" data-address=\"0x3800000\">"), html);
            assertTrue(html.contains("data-block=\"0\" data-state=\"FREE\""), html);
            assertTrue(html.contains("<tr data-state=\"BUFFER\">"), html);
            assertEquals(ConsolePage.COLOURS.keySet(), java.util.Set.of(BlockState.values()));
        } finally {
            mock.shutdown();
        }
    }

    @Test
    void theOwnerCellNamesTheBundleEscaped() {
        MockAllocator mock = new MockAllocator(new PhysicalMemoryModel(0, 64 * MIB, 4096, 10), "mock", 0);
        try {
            DmaBuffer buffer = mock.allocate(AllocationRequest.ofSize(MIB).withLabel("x"));
            DmaBuffer owned = withOwner(buffer, new BufferOwner("a<b>&\"c", "1.0.0", 7));
            String html = ConsolePage.render(List.of(), List.of(owned), Optional.empty(), "unused", Optional.empty());
            assertTrue(html.contains("<th>label</th><th>owner</th></tr>"), html);
            assertTrue(html.contains("<td>x</td><td>a&lt;b&gt;&amp;&quot;c 1.0.0 [7]</td></tr>"), html);
        } finally {
            mock.shutdown();
        }
    }

    /** The buffer as a bundle would have allocated it: outside a framework a buffer has no owner. */
    private static DmaBuffer withOwner(DmaBuffer buffer, BufferOwner owner) {
        return (DmaBuffer) Proxy.newProxyInstance(DmaBuffer.class.getClassLoader(), new Class<?>[] {DmaBuffer.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("owner")) {
                        return Optional.of(owner);
                    }
                    try {
                        return method.invoke(buffer, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void withoutMapOrBackendThePageSaysSo() {
        String html = ConsolePage.render(List.of(), List.of(), Optional.empty(), "backend kmod provides no memory map",
                Optional.empty());
        assertTrue(html.contains("<p id=\"no-backend\">no bigbuf backend is running</p>"), html);
        assertTrue(html.contains("<p id=\"no-map\">backend kmod provides no memory map</p>"), html);
        assertTrue(!html.contains("<svg"), html);
    }
}
