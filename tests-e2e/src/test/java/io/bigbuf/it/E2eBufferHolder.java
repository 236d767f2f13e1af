package io.bigbuf.it;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.kmod.abi.DeviceInfo;
import io.bigbuf.kmod.KmodAllocator;
import io.bigbuf.kmod.abi.KmodDevice;
import io.bigbuf.kmod.abi.ModuleStatistics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child process of {@link KillNineE2E}: allocates buffers from the kernel backend (plain Java, no
 * framework), writes them, reports the module statistics as the STATS ioctl returns them, says
 * {@code HOLDING} and waits to be killed.
 *
 * <p>Usage: {@code E2eBufferHolder DEVICE COUNT SIZE}
 */
public final class E2eBufferHolder {

    private E2eBufferHolder() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path device = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        long size = ByteSize.parse(args[2]);
        DeviceInfo info;
        try (KmodDevice file = KmodDevice.open(device)) {
            info = file.info();
        }
        KmodAllocator allocator = new KmodAllocator(device, info);
        List<DmaBuffer> held = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            DmaBuffer buffer = allocator.allocate(AllocationRequest.ofSize(size).withLabel("held-" + i));
            buffer.segment().fill((byte) (i + 1));
            held.add(buffer);
        }
        ModuleStatistics stats = allocator.moduleStatistics();
        System.out.println("STATS " + stats.bytesHeld() + " " + stats.buffers() + " " + stats.allocations() + " "
                + stats.frees());
        System.out.println("HOLDING " + held.size() + " " + held.stream().mapToLong(DmaBuffer::size).sum());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
