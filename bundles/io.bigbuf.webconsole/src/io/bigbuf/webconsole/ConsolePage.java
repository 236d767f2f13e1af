package io.bigbuf.webconsole;

import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.DeviceMapping;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.memorymap.BlockState;
import io.bigbuf.memorymap.MemoryMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The HTML of the bigbuf page, without the servlet: backends, buffers, statistics and the memory
 * map as an inline SVG with one {@code rect} per block ({@code data-state}, {@code data-address}).
 */
final class ConsolePage {

    /** Blocks per row of the picture. */
    static final int COLUMNS = 64;
    /** Pixels per block, square. */
    static final int CELL = 10;
    /** Fill colour per state; the browser test looks for {@link BlockState#BUFFER}'s in the screenshot. */
    static final Map<BlockState, String> COLOURS = Map.of(
            BlockState.FREE, "#cfeccf",
            BlockState.MOVABLE_IN_USE, "#f2d16b",
            BlockState.UNMOVABLE, "#c0392b",
            BlockState.BUFFER, "#1f5fbf",
            BlockState.HOLE, "#ffffff");

    /**
     * One registered backend.
     *
     * @param info    its description
     * @param ranking its service ranking
     * @param bound   whether it is the best-ranked one, which the shell and greedy consumers use
     */
    record Backend(BackendInfo info, int ranking, boolean bound) {
    }

    private ConsolePage() {
    }

    static String render(List<Backend> backends, List<DmaBuffer> buffers, Optional<AllocatorStatistics> stats,
            String mapUnavailable, Optional<MemoryMap> map) {
        StringBuilder h = new StringBuilder();
        h.append("<div id=\"bigbuf\">\n<h2>Backends</h2>\n");
        if (backends.isEmpty()) {
            h.append("<p id=\"no-backend\">no bigbuf backend is running</p>\n");
        } else {
            h.append("<table class=\"tablesorter nicetable\" id=\"backends\"><thead><tr><th>name</th><th>description</th>"
                    + "<th>ranking</th><th>bound</th><th>real bus addresses</th><th>memory</th></tr></thead><tbody>\n");
            for (Backend b : backends) {
                h.append("<tr").append(b.bound() ? " class=\"bound\"" : "").append("><td>").append(esc(b.info().name()))
                        .append("</td><td>").append(esc(b.info().description())).append("</td><td>").append(b.ranking())
                        .append("</td><td>").append(b.bound() ? "yes" : "no").append("</td><td>")
                        .append(b.info().realBusAddresses() ? "yes" : "no (simulated)").append("</td><td>")
                        .append(b.info().totalBytes() < 0 ? "unknown" : ByteSize.format(b.info().totalBytes()))
                        .append("</td></tr>\n");
            }
            h.append("</tbody></table>\n");
        }
        h.append("<h2>Buffers</h2>\n<table class=\"tablesorter nicetable\" id=\"buffers\"><thead><tr><th>id</th>"
                + "<th>size</th><th>phys-start</th><th>phys-end</th><th>device addresses</th><th>label</th><th>owner</th></tr></thead><tbody>\n");
        for (DmaBuffer b : buffers) {
            boolean device = b.contiguity() == Contiguity.DEVICE;
            h.append(String.format(Locale.ROOT, "<tr data-id=\"%d\"><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>", b.id(),
                    b.id(), ByteSize.format(b.size()), device ? "(device-contiguous)" : hex(b.physicalAddress()),
                    device ? "" : hex(b.physicalAddress() + b.size() - 1)));
            for (DeviceMapping m : b.deviceMappings()) {
                h.append(esc(m.device().toString())).append(' ').append(hex(m.deviceAddress())).append("..")
                        .append(hex(m.lastDeviceAddress())).append(" (")
                        .append(m.translation().name().toLowerCase(Locale.ROOT)).append(m.deviceReadOnly() ? ", read-only" : "")
                        .append(")<br>");
            }
            h.append("</td><td>").append(esc(b.label())).append("</td><td>")
                    .append(esc(b.owner().map(Object::toString).orElse(""))).append("</td></tr>\n");
        }
        h.append("</tbody></table>\n");
        stats.ifPresent(s -> h.append("<h2>Statistics</h2>\n<table class=\"nicetable\" id=\"statistics\"><tbody>")
                .append(row("live buffers", String.valueOf(s.liveBuffers())))
                .append(row("bytes held", ByteSize.format(s.bytesHeld())))
                .append(row("largest free run", s.largestContiguousFree().isPresent()
                        ? ByteSize.format(s.largestContiguousFree().getAsLong()) : "unknown"))
                .append(row("allocations", String.valueOf(s.allocations())))
                .append(row("failures", String.valueOf(s.failures())))
                .append(row("rejected", String.valueOf(s.rejected())))
                .append("</tbody></table>\n"));
        h.append("<h2>Physical memory</h2>\n");
        if (map.isEmpty()) {
            h.append("<p id=\"no-map\">").append(esc(mapUnavailable)).append("</p>\n");
        } else {
            svg(h, map.get());
        }
        return h.append("</div>\n").toString();
    }

    private static void svg(StringBuilder h, MemoryMap map) {
        int rows = Math.ceilDiv(map.blockCount(), COLUMNS);
        h.append(String.format(Locale.ROOT, "<p>%d blocks of %s from %s; largest free run %s</p>%n", map.blockCount(),
                ByteSize.format(map.blockSize()), hex(map.base()),
                map.largestRun().map(r -> ByteSize.format(r.bytes()) + " at " + hex(r.address())).orElse("none")));
        h.append(String.format(Locale.ROOT, "<svg id=\"memory-map\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " data-blocks=\"%d\" data-block-size=\"%d\" data-base=\"%s\">%n", COLUMNS * CELL, rows * CELL,
                map.blockCount(), map.blockSize(), hex(map.base())));
        for (int b = 0; b < map.blockCount(); b++) {
            BlockState s = map.state(b);
            h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" data-block=\"%d\""
                    + " data-state=\"%s\" data-address=\"%s\"><title>%s %s</title></rect>%n", (b % COLUMNS) * CELL,
                    (b / COLUMNS) * CELL, CELL, CELL, COLOURS.get(s), b, s.name(), hex(map.addressOf(b)),
                    hex(map.addressOf(b)), s.name().toLowerCase(Locale.ROOT)));
        }
        h.append("</svg>\n<table class=\"nicetable\" id=\"legend\"><tbody>\n");
        for (BlockState s : BlockState.values()) {
            h.append(String.format(Locale.ROOT, "<tr data-state=\"%s\"><td><svg width=\"12\" height=\"12\"><rect width=\"12\""
                    + " height=\"12\" fill=\"%s\" stroke=\"#888\"/></svg></td><td>%s</td><td>%d</td></tr>%n", s.name(),
                    COLOURS.get(s), s.name().toLowerCase(Locale.ROOT).replace('_', ' '), map.count(s)));
        }
        h.append("</tbody></table>\n");
    }

    private static String row(String name, String value) {
        return "<tr><td>" + esc(name) + "</td><td>" + esc(value) + "</td></tr>";
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
