package io.bigbuf.examples.edu;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An edu device driven from userspace through sysfs, the way a Linux user-level driver does it
 * without a kernel driver bound to the device (needs root):
 * <ul>
 * <li>{@code config}: PCI configuration space; the command register gets Memory Space (so BAR0
 *     decodes) and Bus Master (so the device may issue DMA) switched on while the device is open,
 *     and is restored on {@link #close()};</li>
 * <li>{@code resource0}: BAR0, mapped shared and uncached into the process. Register accesses go
 *     through volatile var handles of the exact width, so the JIT neither merges, splits, caches
 *     nor reorders them.</li>
 * </ul>
 */
public final class SysfsEduDevice implements EduDevice {

    private static final long PCI_COMMAND = 0x04;
    private static final int PCI_COMMAND_MEMORY = 0x2;
    private static final int PCI_COMMAND_MASTER = 0x4;

    // Coordinates (MemorySegment, long offset); accesses are aligned, hence single loads/stores.
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final String name;
    private final FileChannel config;
    private final int originalCommand;
    private final Arena arena;
    private final MemorySegment registers;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SysfsEduDevice(String name, FileChannel config, int originalCommand, Arena arena,
            MemorySegment registers) {
        this.name = name;
        this.config = config;
        this.originalCommand = originalCommand;
        this.arena = arena;
        this.registers = registers;
    }

    /**
     * Opens the PCI function at {@code pciDirectory} (e.g. {@code /sys/bus/pci/devices/0000:00:04.0}),
     * enables memory decoding and bus mastering and maps BAR0.
     *
     * @throws EduDeviceException not an edu device, no permission (root is needed), or mapping failed
     */
    public static SysfsEduDevice open(Path pciDirectory) {
        String name = pciDirectory.getFileName().toString();
        if (!EduDeviceLocator.isEdu(pciDirectory)) {
            throw new EduDeviceException(pciDirectory + " is not an edu device ("
                    + String.format("%04x:%04x", EduRegisters.VENDOR_ID, EduRegisters.DEVICE_ID) + ")");
        }
        FileChannel config = null;
        Arena arena = null;
        int original = -1;
        try {
            config = FileChannel.open(pciDirectory.resolve("config"), StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            original = readCommand(config);
            writeCommand(config, original | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
            arena = Arena.ofShared();
            MemorySegment registers;
            try (FileChannel bar = FileChannel.open(pciDirectory.resolve("resource0"), StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                long size = Math.min(bar.size(), EduRegisters.BAR0_SIZE);
                if (size <= EduRegisters.DMA_COMMAND + Long.BYTES) {
                    throw new EduDeviceException(name + ": BAR0 is only " + size + " bytes");
                }
                registers = bar.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            }
            return new SysfsEduDevice(name, config, original, arena, registers);
        } catch (IOException | RuntimeException e) {
            if (arena != null) {
                arena.close();
            }
            if (config != null) {
                if (original >= 0) {
                    try {
                        writeCommand(config, original);
                    } catch (IOException ignored) {
                        // The open failure below is what matters.
                    }
                }
                try {
                    config.close();
                } catch (IOException ignored) {
                    // Same.
                }
            }
            if (e instanceof EduDeviceException known) {
                throw known;
            }
            throw new EduDeviceException("cannot open edu device " + name + " through " + pciDirectory
                    + " (root is needed, and no kernel driver may hold the device): " + e, e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int read32(long offset) {
        return (int) INT.getVolatile(registers, offset);
    }

    @Override
    public void write32(long offset, int value) {
        INT.setVolatile(registers, offset, value);
    }

    @Override
    public long read64(long offset) {
        return (long) LONG.getVolatile(registers, offset);
    }

    @Override
    public void write64(long offset, long value) {
        LONG.setVolatile(registers, offset, value);
    }

    /** Unmaps BAR0 and restores the command register (bus mastering off again unless it was on). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        arena.close();
        try {
            writeCommand(config, originalCommand);
        } catch (IOException e) {
            System.getLogger(SysfsEduDevice.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot restore the PCI command register of " + name + ": " + e);
        } finally {
            try {
                config.close();
            } catch (IOException ignored) {
                // Nothing left to release.
            }
        }
    }

    private static int readCommand(FileChannel config) throws IOException {
        ByteBuffer word = ByteBuffer.allocate(Short.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (config.read(word, PCI_COMMAND) != Short.BYTES) {
            throw new IOException("short read of the PCI command register");
        }
        return Short.toUnsignedInt(word.getShort(0));
    }

    private static void writeCommand(FileChannel config, int command) throws IOException {
        ByteBuffer word = ByteBuffer.allocate(Short.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        word.putShort(0, (short) command);
        if (config.write(word, PCI_COMMAND) != Short.BYTES) {
            throw new IOException("short write of the PCI command register");
        }
    }
}
