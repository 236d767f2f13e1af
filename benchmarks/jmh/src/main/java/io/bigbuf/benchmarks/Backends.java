package io.bigbuf.benchmarks;

import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.lang.reflect.Method;
import java.nio.file.Path;

/**
 * Allocators for the benchmarks, created directly (no OSGi): the mock, or the kernel module
 * backend on /dev/bigbuf. The kmod bundle is only on the class path inside the VM, hence the
 * reflection: this module compiles without it.
 */
final class Backends {

    static final Path DEVICE = Path.of(System.getProperty("bigbuf.bench.device", "/dev/bigbuf"));

    /** An allocator and how to shut it down. */
    record Handle(ContiguousAllocator allocator, Runnable shutdown) implements AutoCloseable {
        @Override
        public void close() {
            shutdown.run();
        }
    }

    private Backends() {
    }

    static Handle open(String backend) {
        return switch (backend) {
            case "mock" -> {
                MockAllocator mock = new MockAllocator(new PhysicalMemoryModel(0, 1L << 30, 4096, 10), "jmh", 0);
                yield new Handle(mock, mock::shutdown);
            }
            case "kmod" -> openKmod();
            default -> throw new IllegalArgumentException("unknown backend " + backend);
        };
    }

    private static Handle openKmod() {
        try {
            Class<?> deviceClass = Class.forName("io.bigbuf.kmod.abi.KmodDevice");
            Class<?> infoClass = Class.forName("io.bigbuf.kmod.abi.DeviceInfo");
            Class<?> allocatorClass = Class.forName("io.bigbuf.kmod.KmodAllocator");
            Object info;
            try (AutoCloseable device = (AutoCloseable) deviceClass.getMethod("open", Path.class).invoke(null, DEVICE)) {
                info = deviceClass.getMethod("info").invoke(device);
            }
            ContiguousAllocator allocator = (ContiguousAllocator) allocatorClass
                    .getConstructor(Path.class, infoClass).newInstance(DEVICE, info);
            Method shutdown = allocatorClass.getMethod("shutdown");
            return new Handle(allocator, () -> {
                try {
                    shutdown.invoke(allocator);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("cannot open the kmod backend on " + DEVICE, e);
        }
    }
}
