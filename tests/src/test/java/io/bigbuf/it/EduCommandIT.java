package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.pci.sysfs.FakeSysfs;
import io.bigbuf.testkit.Await;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import io.bigbuf.testkit.FelixBundles;
import io.bigbuf.testkit.FelixExtension;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.ReferenceDTO;

/**
 * The edu example bundle in a real framework on the mock backend: its DS component and Gogo
 * commands come up, it follows the allocator dynamically, and edu:dmatest refuses to program
 * simulated addresses into a device.
 */
@ExtendWith(FelixExtension.class)
@FelixBundles({Components.MOCK_BUNDLE, Components.EDU_BUNDLE, Components.PCI_SYSFS_BUNDLE})
class EduCommandIT {

    static final String EDU_COMPONENT = "io.bigbuf.examples.edu.EduCommands";

    private EmbeddedFelix felix;
    private CommandSession session;

    @BeforeEach
    void start(EmbeddedFelix felix) throws Exception {
        this.felix = felix;
        session = felix.gogoSession();
        Await.until(() -> {
            try {
                return felix.context().getServiceReferences((String) null, "(osgi.command.scope=edu)");
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalArgumentException(e);
            }
        }, "the edu commands");
    }

    @AfterEach
    void stop() {
        session.close();
    }

    @Test
    void theAllocatorReferenceIsOptionalDynamicAndGreedy() {
        ComponentDescriptionDTO description = felix.scr().getComponentDescriptionDTO(felix.bundle(Components.EDU_BUNDLE),
                EDU_COMPONENT);
        // DS 1.5 adds an implicit satisfying-condition reference to every component: look ours up by interface.
        ReferenceDTO reference = java.util.Arrays.stream(description.references)
                .filter(r -> "io.bigbuf.api.ContiguousAllocator".equals(r.interfaceName))
                .findFirst().orElseThrow(() -> new AssertionError("no ContiguousAllocator reference"));
        assertEquals("setAllocator", reference.bind);
        assertEquals("unsetAllocator", reference.unbind);
        assertEquals("dynamic", reference.policy);
        assertEquals("greedy", reference.policyOption);
        assertEquals("0..1", reference.cardinality);
    }

    @Test
    void dmatestOnTheMockSaysWhyRealDmaIsImpossible() {
        Exception e = assertThrows(Exception.class, () -> session.execute("edu:dmatest 16M"));
        assertEquals("io.bigbuf.examples.edu.DmaUnavailableException", e.getClass().getName());
        assertTrue(e.getMessage().startsWith("real device DMA is not possible"), e.getMessage());
        assertTrue(e.getMessage().contains("the current allocator backend 'mock' hands out simulated physical addresses"),
                e.getMessage());
    }

    @Test
    void followsTheAllocatorWhenBackendsComeAndGo() throws Exception {
        Await.isTrue(() -> devices().endsWith("allocator: mock (simulated addresses, no device DMA)"),
                "edu bound to the mock");
        felix.bundle(Components.MOCK_BUNDLE).stop();
        Await.isTrue(() -> devices().endsWith("allocator: none"), "edu unbound, component still active");
        Exception e = assertThrows(Exception.class, () -> session.execute("edu:dmatest 1M"));
        assertTrue(e.getMessage().contains("no bigbuf allocator service is running"), e.getMessage());
        felix.bundle(Components.MOCK_BUNDLE).start();
        Await.isTrue(() -> devices().endsWith("allocator: mock (simulated addresses, no device DMA)"),
                "edu bound to the mock again");
    }

    @Test
    void badArgumentsGiveOneLineMessages() {
        Exception e = assertThrows(Exception.class, () -> session.execute("edu:dmatest --chunk 64K 1M"));
        assertEquals("--chunk must be 1..4096 bytes (the device buffer), got '64K'", e.getMessage());
    }

    @Test
    void findsEduFunctionsThroughThePciDeviceLayer(@TempDir Path tmp) throws Exception {
        FakeSysfs sysfs = new FakeSysfs(tmp);
        sysfs.addFunction("0000:00:03.0", 0x8086, 0x100e);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("sysfs.root", sysfs.root().toString());
        props.put("rescan.interval.ms", 100L);
        felix.awaitService(ConfigurationAdmin.class, null).getConfiguration("io.bigbuf.pci.sysfs", "?").update(props);
        Await.isTrue(() -> devices().startsWith("no edu device among the PCI functions"), "no edu device yet");
        sysfs.addFunction("0000:00:04.0", 0x1234, 0x11e8);
        Await.isTrue(() -> devices().startsWith("0000:00:04.0  "), "edu:devices to list the hot-plugged edu function");
        sysfs.remove("0000:00:04.0");
        Await.isTrue(() -> devices().startsWith("no edu device"), "the unplugged edu function to go");
    }

    private String devices() {
        try {
            return String.valueOf(session.execute("edu:devices"));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
