package io.bigbuf.kmod.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java mirror of {@code kmod/include/uapi/linux/bigbuf.h} ({@link BigbufAbi}, {@link Errno}) against
 * what gcc makes of the header: {@code src/test/c/bigbuf_abi_dump.c} is compiled from it and prints
 * every struct size, member offset and size, ioctl number, constant and errno value. Any
 * difference, a member the C program does not print, or a member the header added, fails here.
 */
class AbiLayoutTest {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Path HEADER = REPO.resolve("kmod/include/uapi/linux/bigbuf.h");
    private static final Path DUMP_SOURCE = REPO.resolve("tests/src/test/c/bigbuf_abi_dump.c");

    @TempDir
    static Path work;

    private static List<String> fromC;

    @BeforeAll
    static void compileAndRunTheCProgram() throws Exception {
        assertTrue(Files.isRegularFile(HEADER), "UAPI header not found at " + HEADER);
        Path binary = work.resolve("bigbuf_abi_dump");
        run(List.of("gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", HEADER.getParent().getParent().toString(),
                "-o", binary.toString(), DUMP_SOURCE.toString()));
        fromC = run(List.of(binary.toString()));
        assertTrue(fromC.size() > 50, "the C program printed only " + fromC.size() + " lines: " + fromC);
    }

    @Test
    void structSizesAndMemberOffsetsMatchTheHeader() {
        List<String> java = new ArrayList<>();
        for (StructLayout struct : BigbufAbi.STRUCTS) {
            String name = struct.name().orElseThrow();
            java.add("struct " + name + " " + struct.byteSize());
            for (MemoryLayout member : struct.memberLayouts()) {
                String field = member.name().orElseThrow();
                java.add("field " + name + "." + field + " "
                        + BigbufAbi.offset(struct, field) + " " + member.byteSize());
            }
        }
        assertEquals(String.join("\n", linesOf("struct ", "field ")), String.join("\n", java));
    }

    @Test
    void ioctlNumbersMatchTheHeader() {
        List<String> java = List.of(
                "ioctl BIGBUF_IOC_ALLOC 0x" + Long.toHexString(BigbufAbi.IOC_ALLOC),
                "ioctl BIGBUF_IOC_FREE 0x" + Long.toHexString(BigbufAbi.IOC_FREE),
                "ioctl BIGBUF_IOC_INFO 0x" + Long.toHexString(BigbufAbi.IOC_INFO),
                "ioctl BIGBUF_IOC_STATS 0x" + Long.toHexString(BigbufAbi.IOC_STATS),
                "ioctl BIGBUF_IOC_QUERY 0x" + Long.toHexString(BigbufAbi.IOC_QUERY),
                "ioctl BIGBUF_IOC_MAP 0x" + Long.toHexString(BigbufAbi.IOC_MAP),
                "ioctl BIGBUF_IOC_UNMAP 0x" + Long.toHexString(BigbufAbi.IOC_UNMAP),
                "ioctl BIGBUF_IOC_ALLOC_EXT 0x" + Long.toHexString(BigbufAbi.IOC_ALLOC_EXT),
                "ioctl BIGBUF_IOC_MEMMAP 0x" + Long.toHexString(BigbufAbi.IOC_MEMMAP));
        assertEquals(String.join("\n", linesOf("ioctl ")), String.join("\n", java));
    }

    @Test
    void constantsMatchTheHeader() {
        List<String> java = List.of(
                "const BIGBUF_ABI_VERSION " + BigbufAbi.ABI_VERSION,
                "const BIGBUF_IOC_MAGIC " + BigbufAbi.IOC_MAGIC,
                "const BIGBUF_MMAP_SHIFT " + BigbufAbi.MMAP_SHIFT,
                "const BIGBUF_STRATEGY_AUTO " + BigbufAbi.STRATEGY_AUTO,
                "const BIGBUF_STRATEGY_BUDDY " + BigbufAbi.STRATEGIES.indexOf("buddy"),
                "const BIGBUF_STRATEGY_CONTIG " + BigbufAbi.STRATEGIES.indexOf("contig"),
                "const BIGBUF_STRATEGY_GRAB " + BigbufAbi.STRATEGIES.indexOf("grab"),
                "const BIGBUF_STRATEGY_COUNT " + BigbufAbi.STRATEGY_COUNT,
                "const BIGBUF_ALLOC_DEVICE " + BigbufAbi.ALLOC_DEVICE,
                "const BIGBUF_ALLOC_SCATTER " + BigbufAbi.ALLOC_SCATTER,
                "const BIGBUF_ALLOC_NODE_STRICT " + BigbufAbi.ALLOC_NODE_STRICT,
                // CONST prints as unsigned long long
                "const BIGBUF_NODE_ANY " + Long.toUnsignedString(BigbufAbi.NODE_ANY),
                "const BIGBUF_KIND_PHYS_CONTIG " + BigbufAbi.KIND_PHYS_CONTIG,
                "const BIGBUF_KIND_DEV_CONTIG " + BigbufAbi.KIND_DEV_CONTIG,
                "const BIGBUF_DMA_DIRECT " + BigbufAbi.DMA_DIRECT,
                "const BIGBUF_DMA_IDENTITY " + BigbufAbi.DMA_IDENTITY,
                "const BIGBUF_DMA_TRANSLATED " + BigbufAbi.DMA_TRANSLATED,
                "const BIGBUF_MAP_DEVICE_READ_ONLY " + BigbufAbi.MAP_DEVICE_READ_ONLY,
                "const BIGBUF_FEATURE_DEVICE_MAP " + BigbufAbi.FEATURE_DEVICE_MAP,
                "const BIGBUF_FEATURE_NUMA " + BigbufAbi.FEATURE_NUMA,
                "const BIGBUF_FEATURE_MEMMAP " + BigbufAbi.FEATURE_MEMMAP,
                "const BIGBUF_BLOCK_HOLE " + BigbufAbi.BLOCK_HOLE,
                "const BIGBUF_BLOCK_FREE " + BigbufAbi.BLOCK_FREE,
                "const BIGBUF_BLOCK_MOVABLE " + BigbufAbi.BLOCK_MOVABLE,
                "const BIGBUF_BLOCK_UNMOVABLE " + BigbufAbi.BLOCK_UNMOVABLE,
                "const BIGBUF_BLOCK_BUFFER " + BigbufAbi.BLOCK_BUFFER,
                "const BIGBUF_MEMMAP_MAX_BLOCKS " + BigbufAbi.MEMMAP_MAX_BLOCKS);
        assertEquals(String.join("\n", linesOf("const ")), String.join("\n", java));
    }

    @Test
    void errnoNamesMatchLibc() {
        Set<String> java = new TreeSet<>();
        for (Map.Entry<Integer, String> e : Errno.names().entrySet()) {
            java.add("errno " + e.getValue() + " " + e.getKey());
        }
        assertEquals(new TreeSet<>(linesOf("errno ")), java);
    }

    /** The C program must not lag behind the header: it prints every member the header declares. */
    @Test
    void theCProgramCoversEveryMemberOfTheHeader() throws IOException {
        Set<String> declared = new TreeSet<>();
        Set<String> structs = new TreeSet<>();
        Matcher struct = Pattern.compile("(?ms)^struct (bigbuf_\\w+) \\{(.*?)^\\};").matcher(Files.readString(HEADER));
        while (struct.find()) {
            structs.add(struct.group(1));
            Matcher member = Pattern.compile("(?:__[us](?:8|16|32|64)|struct\\s+bigbuf_\\w+)\\s+(\\w+)\\s*(?:\\[[^]]*])?;")
                    .matcher(struct.group(2));
            while (member.find()) {
                declared.add(struct.group(1) + "." + member.group(1));
            }
        }
        Set<String> mirrored = new TreeSet<>();
        BigbufAbi.STRUCTS.forEach(l -> mirrored.add(l.name().orElseThrow()));
        assertEquals(mirrored, structs, "structs declared in " + HEADER);
        Set<String> printed = new TreeSet<>();
        for (String line : linesOf("field ")) {
            printed.add(line.split(" ")[1]);
        }
        assertEquals(declared, printed);
    }

    /**
     * The validity masks the module checks its input against: userspace never sends them, so
     * neither the C program nor the mirror carries them.
     */
    private static final Set<String> KERNEL_SIDE_DEFINES = Set.of("BIGBUF_STRATEGY_MASK", "BIGBUF_ALLOC_FLAGS_VALID",
            "BIGBUF_ALLOC_EXT_FLAGS_VALID", "BIGBUF_MAP_FLAGS_VALID");

    /**
     * Nor may it lag behind in constants and ioctls: every {@code #define BIGBUF_*} of the header
     * is printed (and so compared with the mirror above), except the kernel-side masks.
     */
    @Test
    void theCProgramCoversEveryConstantAndIoctlOfTheHeader() throws IOException {
        Set<String> defined = new TreeSet<>();
        Matcher define = Pattern.compile("(?m)^#define\\s+(BIGBUF_\\w+)\\s").matcher(Files.readString(HEADER));
        while (define.find()) {
            defined.add(define.group(1));
        }
        assertTrue(defined.containsAll(KERNEL_SIDE_DEFINES), "stale exemptions: " + KERNEL_SIDE_DEFINES);
        defined.removeAll(KERNEL_SIDE_DEFINES);
        Set<String> printed = new TreeSet<>();
        for (String line : linesOf("const ", "ioctl ")) {
            printed.add(line.split(" ")[1]);
        }
        assertEquals(defined, printed, "#define BIGBUF_* in " + HEADER + " vs. what the C program prints");
    }

    private static List<String> linesOf(String... prefixes) {
        return fromC.stream().filter(l -> List.of(prefixes).stream().anyMatch(l::startsWith)).toList();
    }

    private static List<String> run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + command);
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed:\n" + text);
        return text.lines().toList();
    }
}
