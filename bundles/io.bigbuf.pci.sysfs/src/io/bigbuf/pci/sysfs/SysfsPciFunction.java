package io.bigbuf.pci.sysfs;

import io.bigbuf.pci.Bar;
import io.bigbuf.pci.BarInfo;
import io.bigbuf.pci.PciDeviceBusyException;
import io.bigbuf.pci.PciDeviceGoneException;
import io.bigbuf.pci.PciException;
import io.bigbuf.pci.PciFunction;
import io.bigbuf.pci.spi.SegmentBar;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * A function opened through sysfs, the way a Linux user-level driver without a kernel driver does
 * it (root needed): {@code config} is its configuration space, {@code resource<N>} a memory BAR to
 * map shared (sysfs maps it uncached). Exclusive use is a lock on {@code config}, which other
 * processes opening through this layer respect; the kernel driver a function may have is checked
 * at open, because a userspace driver beside a kernel one corrupts both.
 */
final class SysfsPciFunction implements PciFunction {

    private static final int PCI_COMMAND = 0x04;
    private static final int PCI_COMMAND_MEMORY = 0x2;
    private static final int PCI_COMMAND_MASTER = 0x4;
    /** The module's own stub driver, bound while a buffer is mapped for the function: it never touches it. */
    private static final String BIGBUF_STUB_DRIVER = "bigbuf";

    private final SysfsPciDevice device;
    private final FileChannel config;
    private final FileLock lock;
    private final long configSize;
    private final int originalCommand;
    private final Path directory;
    private final Arena arena = Arena.ofShared();
    private final Bar[] bars = new Bar[6];
    private boolean closed;

    private SysfsPciFunction(SysfsPciDevice device, Path directory, FileChannel config, FileLock lock,
            int originalCommand) throws IOException {
        this.device = device;
        this.directory = directory;
        this.config = config;
        this.lock = lock;
        this.configSize = config.size();
        this.originalCommand = originalCommand;
    }

    static SysfsPciFunction open(SysfsPciDevice device, Path directory) {
        String name = device.address().toString();
        Optional<String> driver = device.driver().filter(d -> !d.equals(BIGBUF_STUB_DRIVER));
        if (driver.isPresent()) {
            throw new PciDeviceBusyException(name + " is driven by the kernel driver " + driver.get()
                    + "; unbind it first (echo " + name + " > /sys/bus/pci/drivers/" + driver.get() + "/unbind)");
        }
        FileChannel config = null;
        FileLock lock = null;
        try {
            config = FileChannel.open(directory.resolve("config"), StandardOpenOption.READ, StandardOpenOption.WRITE);
            lock = config.tryLock();
            if (lock == null) {
                throw new PciDeviceBusyException(name + " is open in another process");
            }
            int command = read(config, PCI_COMMAND, Short.BYTES);
            write(config, PCI_COMMAND, Short.BYTES, command | PCI_COMMAND_MEMORY);
            return new SysfsPciFunction(device, directory, config, lock, command);
        } catch (OverlappingFileLockException e) {
            closeQuietly(config);
            throw new PciDeviceBusyException(name + " is already open in this process");
        } catch (PciException e) {
            closeQuietly(config);
            throw e;
        } catch (NoSuchFileException e) {
            closeQuietly(config);
            throw new PciDeviceGoneException(name + " is no longer there (" + e.getFile() + ")", e);
        } catch (AccessDeniedException e) {
            closeQuietly(config);
            throw new PciException("cannot open " + name + ": " + e.getFile()
                    + " is not writable; root is needed to drive a PCI function through sysfs", e);
        } catch (IOException e) {
            closeQuietly(config);
            throw new PciException("cannot open " + name + " through " + directory + ": " + e, e);
        }
    }

    @Override
    public SysfsPciDevice device() {
        return device;
    }

    @Override
    public synchronized Bar bar(int index) {
        ensureOpen();
        BarInfo info = device.bars().stream().filter(b -> b.index() == index).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(device.address() + " has no BAR " + index
                        + " (assigned: " + device.bars().stream().map(b -> String.valueOf(b.index())).toList() + ")"));
        if (!info.memory()) {
            throw new IllegalArgumentException(device.address() + " BAR " + index
                    + " is an I/O port region; only memory BARs map");
        }
        if (bars[index] == null) {
            Path resource = directory.resolve("resource" + index);
            try (FileChannel channel = FileChannel.open(resource, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long size = Math.min(channel.size(), info.size());
                bars[index] = new SegmentBar(info, channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena));
            } catch (IOException e) {
                throw new PciException("cannot map " + resource + ": " + e, e);
            }
        }
        return bars[index];
    }

    @Override
    public int readConfig8(int offset) {
        return readConfig(offset, Byte.BYTES);
    }

    @Override
    public int readConfig16(int offset) {
        return readConfig(offset, Short.BYTES);
    }

    @Override
    public int readConfig32(int offset) {
        return readConfig(offset, Integer.BYTES);
    }

    @Override
    public void writeConfig8(int offset, int value) {
        writeConfig(offset, Byte.BYTES, value);
    }

    @Override
    public void writeConfig16(int offset, int value) {
        writeConfig(offset, Short.BYTES, value);
    }

    @Override
    public void writeConfig32(int offset, int value) {
        writeConfig(offset, Integer.BYTES, value);
    }

    @Override
    public synchronized void setBusMaster(boolean enabled) {
        int command = readConfig16(PCI_COMMAND);
        writeConfig16(PCI_COMMAND, enabled ? command | PCI_COMMAND_MASTER : command & ~PCI_COMMAND_MASTER);
    }

    @Override
    public boolean busMaster() {
        return (readConfig16(PCI_COMMAND) & PCI_COMMAND_MASTER) != 0;
    }

    @Override
    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Unmapped first: a thread still accessing a BAR gets IllegalStateException, not the device.
        arena.close();
        try {
            write(config, PCI_COMMAND, Short.BYTES, originalCommand);
        } catch (IOException e) {
            System.getLogger(SysfsPciFunction.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot restore the PCI command register of " + device.address() + ": " + e);
        } finally {
            try {
                lock.release();
            } catch (IOException ignored) {
                // Closing the channel releases it too.
            }
            closeQuietly(config);
        }
    }

    private synchronized int readConfig(int offset, int width) {
        ensureOpen();
        checkConfigOffset(offset, width);
        try {
            return read(config, offset, width);
        } catch (IOException e) {
            throw new PciException("cannot read config space of " + device.address() + " at " + offset + ": " + e, e);
        }
    }

    private synchronized void writeConfig(int offset, int width, int value) {
        ensureOpen();
        checkConfigOffset(offset, width);
        if (width < Integer.BYTES && (value >>> (8 * width)) != 0) {
            throw new IllegalArgumentException("value 0x" + Integer.toHexString(value) + " does not fit in "
                    + (8 * width) + " bits");
        }
        try {
            write(config, offset, width, value);
        } catch (IOException e) {
            throw new PciException("cannot write config space of " + device.address() + " at " + offset + ": " + e, e);
        }
    }

    private void checkConfigOffset(int offset, int width) {
        if (offset < 0 || offset + width > configSize) {
            throw new IndexOutOfBoundsException("config offset " + offset + " (+" + width + ") outside 0.."
                    + configSize + " of " + device.address());
        }
        if (offset % width != 0) {
            throw new IllegalArgumentException("config offset " + offset + " is not aligned to " + width);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(device.address() + " was closed");
        }
    }

    private static int read(FileChannel channel, long offset, int width) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(width).order(ByteOrder.LITTLE_ENDIAN);
        if (channel.read(b, offset) != width) {
            throw new IOException("short read at " + offset);
        }
        return switch (width) {
            case 1 -> Byte.toUnsignedInt(b.get(0));
            case 2 -> Short.toUnsignedInt(b.getShort(0));
            default -> b.getInt(0);
        };
    }

    private static void write(FileChannel channel, long offset, int width, int value) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(width).order(ByteOrder.LITTLE_ENDIAN);
        switch (width) {
            case 1 -> b.put(0, (byte) value);
            case 2 -> b.putShort(0, (short) value);
            default -> b.putInt(0, value);
        }
        if (channel.write(b, offset) != width) {
            throw new IOException("short write at " + offset);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing left to release.
            }
        }
    }
}
