package io.bigbuf.examples.edu;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Drives the DMA engine of one edu device: one transfer at a time between RAM (by bus address)
 * and the device's 4 KiB buffer, waiting for each to finish.
 *
 * <p>The device has no completion queue; the driver polls the command register until the device
 * clears {@link EduRegisters#COMMAND_START}. Instead of spinning, the waiting thread sleeps: first
 * for about as long as the previous command took, then in doubling steps. A device that finishes
 * in microseconds is thus polled within microseconds, a slow one (QEMU's edu takes 100 ms of
 * virtual time per command) costs one or two wake-ups per command instead of a busy CPU. The
 * latter also matters under QEMU with {@code -icount sleep=off}: the virtual clock only jumps to
 * the device's deadline while the guest CPU is idle.
 *
 * <p>Not thread-safe: one engine per device, used by one thread at a time.
 */
public final class EduDmaEngine {

    /** How long one command may take before the device is considered stuck. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);

    static final long MIN_WAIT_NANOS = 1_000;
    static final long MAX_POLL_NANOS = 20_000_000;
    static final long MAX_ESTIMATE_NANOS = 1_000_000_000;

    private final EduDevice device;
    private final long timeoutNanos;
    private final LongSupplier clock;
    private final LongConsumer sleeper;
    private long latencyEstimate = MIN_WAIT_NANOS;
    private long commands;
    private long polls;

    /** An engine that sleeps with {@link LockSupport#parkNanos(long)} and times with {@link System#nanoTime()}. */
    public EduDmaEngine(EduDevice device) {
        this(device, DEFAULT_COMMAND_TIMEOUT, System::nanoTime, LockSupport::parkNanos);
    }

    /**
     * @param clock   monotonic nanoseconds
     * @param sleeper pauses the calling thread for about the given nanoseconds
     */
    public EduDmaEngine(EduDevice device, Duration commandTimeout, LongSupplier clock, LongConsumer sleeper) {
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException("command timeout must be positive, got " + commandTimeout);
        }
        this.device = device;
        this.timeoutNanos = commandTimeout.toNanos();
        this.clock = clock;
        this.sleeper = sleeper;
    }

    public EduDevice device() {
        return device;
    }

    /**
     * Checks that the device answers like an edu: the identification register carries the magic
     * byte and the liveness register inverts what is written.
     *
     * @return the identification register (version in the upper bytes)
     * @throws EduDeviceException something else answers, or nothing does
     */
    public int identify() {
        int id = device.read32(EduRegisters.IDENTIFICATION);
        if ((id & 0xff) != EduRegisters.IDENTIFICATION_MAGIC) {
            throw new EduDeviceException(String.format(
                    "%s does not identify as edu: register 0x00 reads 0x%08x, expected 0x......ed", device.name(), id));
        }
        for (int probe : new int[] {0x12345678, 0xa5a5a5a5, 0}) {
            device.write32(EduRegisters.LIVENESS, probe);
            int answer = device.read32(EduRegisters.LIVENESS);
            if (answer != ~probe) {
                throw new EduDeviceException(String.format(
                        "%s fails the liveness check: wrote 0x%08x, read back 0x%08x instead of 0x%08x",
                        device.name(), probe, answer, ~probe));
            }
        }
        if ((device.read64(EduRegisters.DMA_COMMAND) & EduRegisters.COMMAND_START) != 0) {
            throw new EduDeviceException(device.name() + " is busy with a DMA transfer started by someone else");
        }
        return id;
    }

    /** Copies {@code count} bytes from RAM at {@code busAddress} into the start of the device buffer. */
    public void ramToDevice(long busAddress, int count) {
        checkTransfer(busAddress, count);
        run(busAddress, EduRegisters.DEVICE_BUFFER_ADDRESS, count, 0);
    }

    /** Copies {@code count} bytes from the start of the device buffer to RAM at {@code busAddress}. */
    public void deviceToRam(long busAddress, int count) {
        checkTransfer(busAddress, count);
        run(EduRegisters.DEVICE_BUFFER_ADDRESS, busAddress, count, EduRegisters.COMMAND_TO_RAM);
    }

    /** DMA commands completed so far. */
    public long commands() {
        return commands;
    }

    /** Times the command register was read while waiting, over all commands. */
    public long polls() {
        return polls;
    }

    private void checkTransfer(long busAddress, int count) {
        if (count <= 0 || count > EduRegisters.DEVICE_BUFFER_SIZE) {
            throw new IllegalArgumentException("a transfer moves 1.." + EduRegisters.DEVICE_BUFFER_SIZE
                    + " bytes, got " + count);
        }
        if (busAddress < 0 || busAddress > EduRegisters.DMA_LIMIT - (count - 1)) {
            throw new IllegalArgumentException(String.format(
                    "bus address range 0x%x..0x%x is beyond the device's %d-bit DMA limit 0x%x",
                    busAddress, busAddress + count - 1, EduRegisters.DMA_ADDRESS_BITS, EduRegisters.DMA_LIMIT));
        }
    }

    private void run(long source, long destination, int count, long direction) {
        device.write64(EduRegisters.DMA_SOURCE, source);
        device.write64(EduRegisters.DMA_DESTINATION, destination);
        device.write64(EduRegisters.DMA_COUNT, count);
        long started = clock.getAsLong();
        device.write64(EduRegisters.DMA_COMMAND, direction | EduRegisters.COMMAND_START);
        awaitCompletion(started, source, destination, count);
        commands++;
    }

    private void awaitCompletion(long started, long source, long destination, int count) {
        sleeper.accept(latencyEstimate);
        boolean firstPoll = true;
        long poll = Math.max(MIN_WAIT_NANOS, latencyEstimate / 8);
        while (true) {
            polls++;
            long command = device.read64(EduRegisters.DMA_COMMAND);
            long elapsed = clock.getAsLong() - started;
            if ((command & EduRegisters.COMMAND_START) == 0) {
                // Done on the first look: try a little less next time; otherwise the real latency is known.
                latencyEstimate = firstPoll ? latencyEstimate - latencyEstimate / 16 : elapsed;
                latencyEstimate = Math.clamp(latencyEstimate, MIN_WAIT_NANOS, MAX_ESTIMATE_NANOS);
                return;
            }
            if (elapsed > timeoutNanos) {
                throw new EduDeviceException(String.format(
                        "%s: DMA command 0x%x (0x%x -> 0x%x, %d bytes) did not complete within %d ms",
                        device.name(), command, source, destination, count, timeoutNanos / 1_000_000));
            }
            firstPoll = false;
            sleeper.accept(poll);
            poll = Math.min(poll * 2, MAX_POLL_NANOS);
        }
    }
}
