package io.bigbuf.examples.edu;

import io.bigbuf.api.Contiguity;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DeviceMapping;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A model of QEMU's edu device (hw/misc/edu.c as in QEMU 7.2, the version the VM tests run) for
 * unit tests of the driver logic. "RAM" is the set of open buffers of an allocator, addressed as
 * the device would address them: by physical address without a translating IOMMU, by the
 * buffers' device mappings for {@link #PCI} with one (unmapped addresses and writes into
 * read-only mappings reach nothing, as an IOMMU blocks them), so a DMA lands exactly where a real
 * device would put it.
 *
 * <p>Like the real device it ignores accesses of the wrong width, masks DMA addresses to 28 bits,
 * ignores register writes while a transfer runs, and reports a transfer that touches the last byte
 * of its buffer the way QEMU 7.2 does: by dying ({@link EmulatorAbort}).
 */
final class FakeEduDevice implements EduDevice {

    /** What QEMU 7.2's hw_error() does to the whole emulator. */
    static final class EmulatorAbort extends RuntimeException {
        private static final long serialVersionUID = 1L;

        EmulatorAbort(String message) {
            super(message);
        }
    }

    /** One register access, for tests that check the programming sequence. */
    record Access(boolean write, int width, long offset, long value) {
    }

    /** The PCI function this model is. */
    static final PciAddress PCI = PciAddress.parse("0000:00:04.0");

    private final ContiguousAllocator ram;
    /** An IOMMU that translates but does not protect: the device reaches any buffer's memory. */
    boolean ignoreProtection;
    private final byte[] buffer = new byte[EduRegisters.DEVICE_BUFFER_SIZE];
    final List<Access> accesses = new ArrayList<>();
    int identification = 0x010000ed;
    boolean invertLiveness = true;
    /** Reads of the command register that still show the transfer running after it was started. */
    int pollsUntilDone;
    /** With a clock: a transfer also takes this long, like QEMU's 100 ms DMA timer. */
    long latencyNanos;
    java.util.function.LongSupplier clock = () -> 0;
    /** Transfers never finish. */
    boolean stuck;
    /** A RAM write covering this bus address lands one page higher (a misplaced page). */
    long misplacedPage = -1;
    /** DMA addresses that hit no open buffer (a real system would corrupt or fault). */
    final List<Long> strayAddresses = new ArrayList<>();
    boolean closed;

    private int liveness;
    private long source;
    private long destination;
    private long count;
    private long command;
    private int remainingPolls;
    private long startedAt;

    FakeEduDevice(ContiguousAllocator ram) {
        this.ram = ram;
    }

    @Override
    public String name() {
        return "fake-edu";
    }

    @Override
    public int read32(long offset) {
        accesses.add(new Access(false, 32, offset, 0));
        if (offset < 0x80) {
            if (offset == EduRegisters.IDENTIFICATION) {
                return identification;
            }
            if (offset == EduRegisters.LIVENESS) {
                return liveness;
            }
            return 0;
        }
        return (int) dmaRegister(offset);
    }

    @Override
    public void write32(long offset, int value) {
        accesses.add(new Access(true, 32, offset, value));
        if (offset == EduRegisters.LIVENESS) {
            liveness = invertLiveness ? ~value : value;
        } else if (offset >= 0x80) {
            writeDma(offset, Integer.toUnsignedLong(value));
        }
    }

    @Override
    public long read64(long offset) {
        accesses.add(new Access(false, 64, offset, 0));
        if (offset < 0x80) {
            return ~0L; // 64-bit accesses below 0x80 are invalid on edu
        }
        if (offset == EduRegisters.DMA_COMMAND && (command & EduRegisters.COMMAND_START) != 0 && !stuck) {
            if (remainingPolls-- <= 0 && clock.getAsLong() - startedAt >= latencyNanos) {
                transfer();
            }
        }
        return dmaRegister(offset);
    }

    @Override
    public void write64(long offset, long value) {
        accesses.add(new Access(true, 64, offset, value));
        if (offset >= 0x80) {
            writeDma(offset, value);
        }
    }

    /** Open buffers of the RAM at the moment the device was closed. */
    int buffersWhenClosed = -1;

    @Override
    public void close() {
        if (!closed) {
            buffersWhenClosed = ram.buffers().size();
        }
        closed = true;
    }

    private long dmaRegister(long offset) {
        if (offset == EduRegisters.DMA_SOURCE) {
            return source;
        } else if (offset == EduRegisters.DMA_DESTINATION) {
            return destination;
        } else if (offset == EduRegisters.DMA_COUNT) {
            return count;
        } else if (offset == EduRegisters.DMA_COMMAND) {
            return command;
        }
        return ~0L;
    }

    private void writeDma(long offset, long value) {
        if ((command & EduRegisters.COMMAND_START) != 0) {
            return; // the device ignores DMA register writes while a transfer runs
        }
        if (offset == EduRegisters.DMA_SOURCE) {
            source = value;
        } else if (offset == EduRegisters.DMA_DESTINATION) {
            destination = value;
        } else if (offset == EduRegisters.DMA_COUNT) {
            count = value;
        } else if (offset == EduRegisters.DMA_COMMAND && (value & EduRegisters.COMMAND_START) != 0) {
            command = value;
            remainingPolls = pollsUntilDone;
            startedAt = clock.getAsLong();
        }
    }

    private void transfer() {
        boolean toRam = (command & EduRegisters.COMMAND_TO_RAM) != 0;
        long deviceAddress = toRam ? source : destination;
        long ramAddress = (toRam ? destination : source) & EduRegisters.DMA_LIMIT;
        // QEMU 7.2 edu_check_range(): the transfer's end (exclusive) must lie strictly inside the buffer.
        long end = deviceAddress + count;
        long bufferEnd = EduRegisters.DEVICE_BUFFER_ADDRESS + EduRegisters.DEVICE_BUFFER_SIZE;
        if (deviceAddress < EduRegisters.DEVICE_BUFFER_ADDRESS || end <= deviceAddress || end >= bufferEnd) {
            throw new EmulatorAbort(String.format("EDU: DMA range 0x%x-0x%x out of bounds (0x%x-0x%x)!",
                    deviceAddress, end - 1, EduRegisters.DEVICE_BUFFER_ADDRESS, bufferEnd - 1));
        }
        int at = (int) (deviceAddress - EduRegisters.DEVICE_BUFFER_ADDRESS);
        if (toRam) {
            for (long i = 0; i < count; i++) {
                long address = ramAddress + i;
                if (misplacedPage >= 0 && address / 4096 == misplacedPage / 4096) {
                    address += 4096;
                }
                MemorySegment byteInRam = resolve(address, true);
                if (byteInRam != null) {
                    byteInRam.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, buffer[at + (int) i]);
                }
            }
        } else {
            for (long i = 0; i < count; i++) {
                MemorySegment byteInRam = resolve(ramAddress + i, false);
                buffer[at + (int) i] = byteInRam == null ? 0 : byteInRam.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
            }
        }
        command &= ~EduRegisters.COMMAND_START;
    }

    /** The one byte of RAM at a device address, or null if no open buffer is reachable there. */
    private MemorySegment resolve(long address, boolean write) {
        boolean translated = ram.backendInfo().deviceMapping() && ram.translation(PCI) == DmaTranslation.TRANSLATED;
        for (DmaBuffer b : ram.buffers()) {
            Optional<DeviceMapping> mapping = b.deviceMapping(PCI);
            if (translated && mapping.isPresent()) {
                DeviceMapping m = mapping.get();
                if (address >= m.deviceAddress() && address <= m.lastDeviceAddress()
                        && (!write || !m.deviceReadOnly() || ignoreProtection)) {
                    return b.segment().asSlice(address - m.deviceAddress(), 1);
                }
            } else if ((!translated || ignoreProtection) && b.contiguity() == Contiguity.PHYSICAL
                    && address >= b.physicalAddress() && address < b.physicalAddress() + b.size()) {
                return b.segment().asSlice(address - b.physicalAddress(), 1);
            }
        }
        strayAddresses.add(address);
        return null;
    }
}
