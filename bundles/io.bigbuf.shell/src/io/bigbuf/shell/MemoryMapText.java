package io.bigbuf.shell;

import io.bigbuf.api.ByteSize;
import io.bigbuf.memorymap.BlockState;
import io.bigbuf.memorymap.MemoryMap;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/** {@code bigbuf:memmap}'s drawing of a {@link MemoryMap}: one character per block, a legend, the runs. */
final class MemoryMapText {

    /** Blocks per line. */
    static final int PER_LINE = 64;
    /** Drawn over the blocks where a buffer of the asked size would go. */
    static final char PLACEMENT = '*';

    private MemoryMapText() {
    }

    static String render(String backend, MemoryMap map, OptionalLong size) {
        String nl = System.lineSeparator();
        Optional<MemoryMap.Run> placement = size.isPresent() ? map.placement(size.getAsLong()) : Optional.empty();
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "memory map of backend %s: %d blocks of %s from 0x%x (%s)%n", backend, map.blockCount(),
                ByteSize.format(map.blockSize()), map.base(), ByteSize.format(map.blockSize() * map.blockCount())));
        int width = Long.toHexString(map.addressOf(map.blockCount() - 1)).length();
        for (int line = 0; line < map.blockCount(); line += PER_LINE) {
            out.append(String.format(Locale.ROOT, "0x%0" + width + "x  ", map.addressOf(line)));
            for (int b = line; b < Math.min(line + PER_LINE, map.blockCount()); b++) {
                boolean placed = placement.isPresent() && b >= placement.get().firstBlock()
                        && b < placement.get().firstBlock() + placement.get().blocks();
                out.append(placed ? PLACEMENT : map.state(b).symbol());
            }
            out.append(nl);
        }
        out.append("legend:");
        for (BlockState s : BlockState.values()) {
            out.append(String.format(Locale.ROOT, "  '%c' %s %d", s.symbol(), name(s), map.count(s)));
        }
        if (placement.isPresent()) {
            out.append(String.format(Locale.ROOT, "  '%c' the %s buffer", PLACEMENT, ByteSize.format(size.getAsLong())));
        }
        out.append(nl);
        out.append(map.largestRun().map(r -> "largest free run " + ByteSize.format(r.bytes())
                + String.format(Locale.ROOT, " at 0x%x..0x%x (%d blocks", r.address(), r.lastAddress(), r.blocks())
                + (map.count(BlockState.MOVABLE_IN_USE) > 0 ? ", free or movable)" : ")"))
                .orElse("no free block"));
        if (size.isPresent()) {
            out.append(nl);
            String what = "a " + ByteSize.format(size.getAsLong()) + " buffer";
            out.append(placement.map(r -> String.format(Locale.ROOT, "%s could still be built at 0x%x..0x%x (%d blocks)",
                    what, r.address(), r.lastAddress(), r.blocks()))
                    .orElse(what + " cannot be built: no run of " + Math.ceilDiv(size.getAsLong(), map.blockSize())
                            + " free blocks"
                            + (map.count(BlockState.UNMOVABLE) + map.count(BlockState.BUFFER) > 0
                            ? "; in the way: " + map.count(BlockState.UNMOVABLE) + " unmovable and "
                            + map.count(BlockState.BUFFER) + " buffer blocks" : "")));
        }
        return out.toString();
    }

    static String name(BlockState s) {
        return s.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
