package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.BufferOwner;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.testkit.Await;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import io.bigbuf.testkit.FelixBundles;
import io.bigbuf.testkit.FelixExtension;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

/** The bigbuf:* commands through a real Gogo runtime, as a user at the prompt would run them. */
@ExtendWith(FelixExtension.class)
@FelixBundles({Components.MOCK_BUNDLE, Components.SHELL_BUNDLE, Components.CONSUMER_BUNDLE})
class GogoShellIT {

    private EmbeddedFelix felix;
    private CommandSession session;

    @BeforeEach
    void start(EmbeddedFelix felix) throws Exception {
        this.felix = felix;
        session = felix.bigbufShellSession();
    }

    @AfterEach
    void stop() {
        session.close();
    }

    private String run(String command) throws Exception {
        return String.valueOf(session.execute(command));
    }

    @Test
    void allocThenListShowsTheBufferWithItsPhysicalAddress() throws Exception {
        String allocated = run("bigbuf:alloc 64M");
        assertTrue(allocated.matches("allocated #\\d+: 64 MiB at physical 0x\\p{XDigit}+\\.\\.0x\\p{XDigit}+, node 0 \\(shell\\)"),
                allocated);
        String address = allocated.replaceAll(".* at physical (0x\\p{XDigit}+)\\.\\..*", "$1");
        String list = run("bigbuf:list");
        assertTrue(list.contains(address), list);
        assertTrue(list.contains("example-consumer"), "the example's working buffer is listed too:\n" + list);
        String stats = run("bigbuf:stats");
        assertTrue(stats.contains("live buffers      2"), stats);
    }

    @Test
    void everyBufferNamesTheBundleThatAllocatedIt() throws Exception {
        ContiguousAllocator mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        run("bigbuf:alloc --label mine 1M");
        DmaBuffer consumers = Await.until(() -> mock.buffers().stream()
                .filter(b -> b.label().equals("example-consumer")).findFirst().orElse(null), "the consumer's buffer");
        // This test's own code is on the class path, in no bundle: its buffer has no owner.
        try (DmaBuffer untracked = mock.allocate(AllocationRequest.ofSize(4096).withLabel("test"))) {
            DmaBuffer shells = mock.buffers().stream().filter(b -> b.label().equals("mine")).findFirst().orElseThrow();
            assertEquals(owner(Components.SHELL_BUNDLE), shells.owner().orElseThrow());
            assertEquals(owner(Components.CONSUMER_BUNDLE), consumers.owner().orElseThrow());
            assertEquals(Optional.empty(), untracked.owner());
            String list = run("bigbuf:list");
            // The owner column is padded to its longest entry, the label follows it.
            assertTrue(list.lines().anyMatch(l -> l.matches(".*  " + Pattern.quote(owner(Components.SHELL_BUNDLE).toString())
                    + "\\s+mine")), list);
            assertTrue(list.lines().anyMatch(l -> l.matches(".*  " + Pattern.quote(owner(Components.CONSUMER_BUNDLE).toString())
                    + "  example-consumer")), list);
            assertTrue(list.lines().anyMatch(l -> l.matches(".*  -\\s+test")), list);
        }
    }

    private BufferOwner owner(String symbolicName) {
        Bundle bundle = felix.bundle(symbolicName);
        return new BufferOwner(bundle.getSymbolicName(), bundle.getVersion().toString(), bundle.getBundleId());
    }

    @Test
    void memmapDrawsTheMocksMemoryWithTheBuffersAndWhereAnotherFits() throws Exception {
        String allocated = run("bigbuf:alloc 64M");
        long start = Long.decode(allocated.replaceAll(".* at physical (0x\\p{XDigit}+)\\.\\..*", "$1"));
        String map = run("bigbuf:memmap --size 256M");
        java.util.List<String> lines = map.lines().toList();
        assertTrue(lines.get(0).startsWith("memory map of backend mock: 2048 blocks of 4 MiB from 0x0 (8 GiB)"), map);
        StringBuilder cells = new StringBuilder();
        lines.stream().filter(l -> l.startsWith("0x")).forEach(l -> cells.append(l.substring(l.indexOf("  ") + 2)));
        assertEquals(2048, cells.length(), map);
        for (long b = start >> 22; b < (start + (64L << 20)) >> 22; b++) {
            assertEquals('B', cells.charAt((int) b), "block " + b + " of the 64 MiB buffer at 0x" + Long.toHexString(start));
        }
        assertEquals(64, cells.chars().filter(c -> c == '*').count(), map);
        assertTrue(map.contains("a 256 MiB buffer could still be built at 0x"), map);
        assertTrue(cells.indexOf("U") >= 0, "the default machine has pinned pages:\n" + map);
        assertFails(IllegalArgumentException.class, "bigbuf:memmap --size 0", "--size must be positive, got '0'");
        assertFails(IllegalArgumentException.class, "bigbuf:memmap 4M", "too many operands; usage: bigbuf:memmap [--size SIZE]");
    }

    @Test
    void optionsWorkInAnyOrder() throws Exception {
        String allocated = run("bigbuf:alloc --bits 28 --align 2M 4096 --label ring");
        long address = Long.decode(allocated.replaceAll(".* at physical (0x\\p{XDigit}+)\\.\\..*", "$1"));
        assertEquals(0, address % (2 << 20));
        assertTrue(address < 1L << 28, allocated);
        assertTrue(allocated.endsWith("(ring)"), allocated);
        String below = run("bigbuf:alloc --below 4G 1M");
        assertTrue(Long.decode(below.replaceAll(".*\\.\\.(0x\\p{XDigit}+).*", "$1")) < 4L << 30, below);
    }

    @Test
    void badInputFailsWithOneClearLineAndChangesNothing() throws Exception {
        ContiguousAllocator mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        AllocatorStatistics before = mock.statistics();
        assertFails(IllegalArgumentException.class, "bigbuf:alloc -5", "size: '-5' is negative; sizes are positive byte counts");
        assertFails(InvalidAllocationRequestException.class, "bigbuf:alloc 0", "size must be positive, got 0 bytes");
        assertFails(InvalidAllocationRequestException.class, "bigbuf:alloc 1T",
                "1 TiB is more than the mock's whole simulated memory of 8 GiB (configure memory.size of PID io.bigbuf.mock)");
        assertFails(InvalidAllocationRequestException.class, "bigbuf:alloc --align 1000 4096",
                "alignment must be 0 (page) or a power of two, got 1000");
        assertFails(IllegalArgumentException.class, "bigbuf:free 4711", "no open buffer #4711; bigbuf:list shows the open ones");
        AllocatorStatistics after = mock.statistics();
        assertEquals(before.liveBuffers(), after.liveBuffers());
        assertEquals(before.bytesHeld(), after.bytesHeld());
        assertEquals(before.allocations(), after.allocations());
    }

    @Test
    void usageErrorsAreOneLineWithTheUsage() throws Exception {
        String alloc = "usage: bigbuf:alloc [--align A] [--below ADDR | --bits N] [--label L]"
                + " [--device PCI [--device-contiguous]] [--node N [--node-only]] SIZE";
        assertFails(IllegalArgumentException.class, "bigbuf:alloc", "missing operand; " + alloc);
        assertFails(IllegalArgumentException.class, "bigbuf:alloc 4M 8M", "too many operands; " + alloc);
        assertFails(IllegalArgumentException.class, "bigbuf:alloc --foo 4M", "unknown option --foo; " + alloc);
        assertFails(IllegalArgumentException.class, "bigbuf:alloc --below 4G --bits 28 4M",
                "--below and --bits are alternatives: give one of them");
        assertFails(IllegalArgumentException.class, "bigbuf:free", "missing operand; usage: bigbuf:free ID");
        assertFails(IllegalArgumentException.class, "bigbuf:free 1 2", "too many operands; usage: bigbuf:free ID");
        assertFails(IllegalArgumentException.class, "bigbuf:map 1",
                "missing operands; usage: bigbuf:map [--below ADDR | --bits N] [--read-only] ID PCI");
        assertFails(IllegalArgumentException.class, "bigbuf:map --below 4G --bits 28 1 0000:00:04.0",
                "--below and --bits are alternatives: give one of them");
        assertFails(IllegalArgumentException.class, "bigbuf:unmap 1", "missing operands; usage: bigbuf:unmap ID PCI");
        assertFails(IllegalArgumentException.class, "bigbuf:translation",
                "missing operand; usage: bigbuf:translation PCI");
        assertFails(IllegalArgumentException.class, "bigbuf:config",
                "missing PID; usage: bigbuf:config [--reset] PID [key=value...]");
        assertFails(IllegalArgumentException.class, "bigbuf:config --foo io.bigbuf.mock",
                "unknown option --foo; usage: bigbuf:config [--reset] PID [key=value...]");
        // Known limit (README): Gogo itself rejects an option without its value before the command runs.
        Exception trailing = assertThrows(IllegalArgumentException.class, () -> session.execute("bigbuf:alloc 4M --bits"));
        assertTrue(trailing.getMessage().startsWith("Cannot coerce alloc("), trailing.getMessage());
        String unlimited = run("bigbuf:alloc --bits 0 1M");
        assertTrue(unlimited.startsWith("allocated #"), "--bits 0 means no limit: " + unlimited);
    }

    @Test
    void buffersTheShellAllocatedSurviveGarbageCollectionUntilFreed() throws Exception {
        String id = run("bigbuf:alloc --label kept 4M").replaceAll("allocated #(\\d+):.*", "$1");
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertTrue(run("bigbuf:list").contains("kept"), "the shell keeps its buffer: " + run("bigbuf:list"));
        assertTrue(run("bigbuf:free " + id).startsWith("freed #" + id + ": 4 MiB"));
        assertTrue(!run("bigbuf:list").contains("kept"));
    }

    @Test
    void aBufferNobodyReferencesIsReleasedOnTheMockToo() throws Exception {
        ContiguousAllocator mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        long id = allocateAndForget(mock);
        Await.collectedUntil(() -> mock.buffer(id).isEmpty(), "the Cleaner to release a forgotten mock buffer");
    }

    private static long allocateAndForget(ContiguousAllocator allocator) {
        return allocator.allocate(io.bigbuf.api.AllocationRequest.ofSize(1 << 20).withLabel("forgotten")).id();
    }

    @Test
    void freeReleasesByIdAndTheConsumerKeepsWorking() throws Exception {
        String allocated = run("bigbuf:alloc 1M");
        String id = allocated.replaceAll("allocated #(\\d+):.*", "$1");
        assertTrue(run("bigbuf:free " + id).startsWith("freed #" + id + ": 1 MiB"));
        assertFails(IllegalArgumentException.class, "bigbuf:free " + id, "no open buffer #" + id + "; bigbuf:list shows the open ones");
    }

    @Test
    void configCommandReconfiguresTheMockThroughConfigAdmin() throws Exception {
        assertEquals("io.bigbuf.mock: no configuration, defaults apply", run("bigbuf:config io.bigbuf.mock"));
        awaitConsumerBuffer();
        assertEquals("io.bigbuf.mock: fragmentation.pattern=striped, fragmentation.percent=100, memory.size=64M;"
                + " restarting io.bigbuf.mock closed 1 buffer",
                run("bigbuf:config io.bigbuf.mock memory.size=64M fragmentation.pattern=striped fragmentation.percent=100"),
                "the example consumer's working buffer went with the old backend");
        // The command returns once the mock runs with it: the next statement needs no retry.
        String backend = run("bigbuf:backend");
        assertTrue(backend.contains("memory            64 MiB"), backend);
        assertTrue(run("bigbuf:stats").contains("largest free run  4092 KiB"), "striped: no whole 4 MiB block is free");
        Exception full = assertThrows(OutOfContiguousMemoryException.class, () -> session.execute("bigbuf:alloc 4M"));
        assertTrue(full.getMessage().startsWith("no contiguous 4 MiB range aligned to 4 KiB is free; largest free run is 4092 KiB ("),
                full.getMessage());
        assertEquals("io.bigbuf.mock: fragmentation.pattern=striped, fragmentation.percent=100, memory.size=64M"
                + " (unchanged, nothing restarted)", run("bigbuf:config io.bigbuf.mock memory.size=64M"));

        assertFails(IllegalArgumentException.class, "bigbuf:config io.bigbuf.mock memory.size",
                "'memory.size' is not key=value, e.g. memory.size=64M");
        assertFails(IllegalArgumentException.class, "bigbuf:config org.example.other a=b",
                "'org.example.other' is not a bigbuf PID; use e.g. io.bigbuf.mock");
        // A value that passes the Metatype but not the component: stored, refused at activation, rolled back.
        awaitConsumerBuffer();
        Exception rejected = assertThrows(IllegalArgumentException.class,
                () -> session.execute("bigbuf:config io.bigbuf.mock memory.size=5M"));
        assertTrue(rejected.getMessage().startsWith("io.bigbuf.mock: rejected, previous configuration restored (the"
                + " attempt closed 1 buffer): invalid configuration io.bigbuf.mock: memory size must be a positive multiple"),
                rejected.getMessage());
        assertEquals("io.bigbuf.mock: fragmentation.pattern=striped, fragmentation.percent=100, memory.size=64M",
                run("bigbuf:config io.bigbuf.mock"), "the rejected value is not kept");
        assertTrue(run("bigbuf:backend").contains("memory            64 MiB"), "back on the previous layout");
        awaitConsumerBuffer();
        assertEquals("io.bigbuf.mock: configuration deleted, defaults apply; restarting io.bigbuf.mock closed 1 buffer",
                run("bigbuf:config --reset io.bigbuf.mock"));
        assertTrue(run("bigbuf:backend").contains("memory            8 GiB"), "back on the defaults");
    }

    @Test
    void configChecksPidsKeysAndValuesAgainstTheMetatypeBeforeTouchingTheBackend() throws Exception {
        ContiguousAllocator mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        DmaBuffer consumerBuffer = awaitConsumerBuffer();
        String known = "the bigbuf PIDs are io.bigbuf.examples.consumer, io.bigbuf.mock";
        assertFails(IllegalArgumentException.class, "bigbuf:config io.bigbuf.mokc memory.size=64M",
                "io.bigbuf.mokc: unknown PID; " + known);
        assertFails(IllegalArgumentException.class, "bigbuf:config io.bigbuf.mokc", "io.bigbuf.mokc: unknown PID; " + known);
        assertFails(IllegalArgumentException.class, "bigbuf:config io.bigbuf.mock memory.sise=64M",
                "io.bigbuf.mock: unknown key 'memory.sise'; the keys are failure.every, fragmentation.pattern,"
                        + " fragmentation.percent, fragmentation.seed, iommu.mode, memlock.limit, memory.base, memory.size, pci.busy,"
                        + " pci.devices");
        assertFails(IllegalArgumentException.class, "bigbuf:config io.bigbuf.mock memory.size=lots",
                "io.bigbuf.mock: memory.size: 'lots' is not a size; use e.g. 4096, 64K, 64M, 1G");
        assertFails(IllegalArgumentException.class, "bigbuf:config io.bigbuf.mock fragmentation.percent=abc",
                "io.bigbuf.mock: fragmentation.percent: 'abc' is not a whole number");
        assertFails(IllegalArgumentException.class, "bigbuf:config io.bigbuf.mock fragmentation.percent=101",
                "io.bigbuf.mock: fragmentation.percent: '101' is greater than the maximum 100");
        assertFails(IllegalArgumentException.class, "bigbuf:config io.bigbuf.mock iommu.mode=on",
                "io.bigbuf.mock: iommu.mode: 'on' is not one of off, identity, translating");
        assertFails(IllegalArgumentException.class, "bigbuf:config io.bigbuf.examples.consumer buffer.size=big",
                "io.bigbuf.examples.consumer: buffer.size: 'big' is not a size; use e.g. 4096, 64K, 64M, 1G");
        assertEquals("io.bigbuf.mock: no configuration, defaults apply", run("bigbuf:config io.bigbuf.mock"));
        assertTrue(felix.currentService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK) == mock,
                "the backend was not restarted");
        assertTrue(!consumerBuffer.isClosed(), "no buffer was closed");
    }

    @Test
    void withoutBackendTheCommandsNameTheFailedActivation() throws Exception {
        Configuration configuration = felix.awaitService(ConfigurationAdmin.class, null).getConfiguration("io.bigbuf.mock", "?");
        Dictionary<String, Object> broken = new Hashtable<>();
        broken.put("memory.size", "lots");
        configuration.update(broken); // as any ConfigAdmin client (or a stored configuration) may
        felix.awaitComponentState(Components.MOCK_BUNDLE, Components.MOCK_COMPONENT,
                ComponentConfigurationDTO.FAILED_ACTIVATION);
        assertFails(BackendUnavailableException.class, "bigbuf:list", "no bigbuf backend is running:"
                + " io.bigbuf.mock.MockAllocator failed to activate: invalid configuration io.bigbuf.mock: memory.size:"
                + " 'lots' is not a size; use e.g. 4096, 64K, 64M, 1G (fix it with bigbuf:config io.bigbuf.mock"
                + " KEY=VALUE, or bigbuf:config --reset io.bigbuf.mock)");
        assertFails(IllegalArgumentException.class, "bigbuf:config io.bigbuf.mock fragmentation.percent=5",
                "io.bigbuf.mock: memory.size: 'lots' is not a size; use e.g. 4096, 64K, 64M, 1G (stored earlier; set it"
                        + " too, or bigbuf:config --reset io.bigbuf.mock)");
        assertEquals("io.bigbuf.mock: memory.size=64M", run("bigbuf:config io.bigbuf.mock memory.size=64M"));
        assertTrue(run("bigbuf:backend").contains("memory            64 MiB"), "the fix brings the backend back");
    }

    private DmaBuffer awaitConsumerBuffer() {
        return Await.until(() -> {
            ContiguousAllocator a = felix.currentService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
            return a == null ? null : Components.consumerBuffer(a).orElse(null);
        }, "the example consumer's working buffer");
    }

    @Test
    void removingTheOnlyProviderLeavesDependentsUnsatisfiedNotBroken() throws Exception {
        ContiguousAllocator mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        DmaBuffer consumerBuffer = Await.until(() -> Components.consumerBuffer(mock).orElse(null), "consumer buffer");
        Bundle mockBundle = felix.bundle(Components.MOCK_BUNDLE);
        mockBundle.uninstall();

        felix.awaitComponentState(Components.CONSUMER_BUNDLE, Components.CONSUMER_COMPONENT,
                ComponentConfigurationDTO.UNSATISFIED_REFERENCE);
        assertTrue(consumerBuffer.isClosed());
        int shellState = felix.component(Components.SHELL_BUNDLE, Components.SHELL_COMPONENT).state;
        assertTrue(shellState == ComponentConfigurationDTO.ACTIVE || shellState == ComponentConfigurationDTO.SATISFIED,
                "the shell's reference is optional: it stays up and explains; state " + shellState);
        assertFails(BackendUnavailableException.class, "bigbuf:list",
                "no bigbuf backend is running; start bundle io.bigbuf.mock or load the kernel module");

        felix.install(Components.MOCK_BUNDLE).start();
        felix.awaitComponentState(Components.CONSUMER_BUNDLE, Components.CONSUMER_COMPONENT, ComponentConfigurationDTO.ACTIVE);
        Await.isTrue(() -> {
            try {
                return run("bigbuf:list").contains("example-consumer");
            } catch (Exception e) {
                return false;
            }
        }, "the consumer's buffer in the reinstalled backend");
    }

    private void assertFails(Class<? extends Exception> type, String command, String message) {
        Exception e = assertThrows(Exception.class, () -> session.execute(command));
        assertEquals(type, e.getClass(), () -> command + " threw " + e);
        assertEquals(message, e.getMessage());
    }
}
