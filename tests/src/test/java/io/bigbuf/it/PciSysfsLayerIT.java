package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.pci.PciDevice;
import io.bigbuf.pci.PciDeviceProperties;
import io.bigbuf.pci.PciFunction;
import io.bigbuf.pci.sysfs.FakeSysfs;
import io.bigbuf.testkit.Await;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import io.bigbuf.testkit.FelixBundles;
import io.bigbuf.testkit.FelixExtension;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

/**
 * The sysfs PCI layer in a real framework on a fake sysfs tree: a PciDevice service per function
 * with filterable properties, services following hot plug and driver binding, functions closed
 * when the layer stops, and the pci:* commands.
 */
@ExtendWith(FelixExtension.class)
@FelixBundles({Components.PCI_SYSFS_BUNDLE, Components.SHELL_BUNDLE, Components.MOCK_BUNDLE})
class PciSysfsLayerIT {

    static final String EDU = "0000:00:04.0";
    static final String NIC = "0000:00:03.0";
    static final String EDU_FILTER = PciDeviceProperties.filter(0x1234, 0x11e8);

    @TempDir
    Path tmp;

    private EmbeddedFelix felix;
    private FakeSysfs sysfs;

    @BeforeEach
    void start(EmbeddedFelix felix) throws Exception {
        this.felix = felix;
        sysfs = new FakeSysfs(tmp.resolve("sys"));
        sysfs.addFunction(NIC, 0x8086, 0x100e);
        sysfs.bind(NIC, "e1000");
        sysfs.addFunction(EDU, 0x1234, 0x11e8);
        // Configured while stopped: the layer never lists the host's own /sys in these tests.
        felix.bundle(Components.PCI_SYSFS_BUNDLE).stop();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("sysfs.root", sysfs.root().toString());
        props.put("rescan.interval.ms", 100L);
        felix.awaitService(ConfigurationAdmin.class, null).getConfiguration("io.bigbuf.pci.sysfs", "?").update(props);
        felix.bundle(Components.PCI_SYSFS_BUNDLE).start();
        Await.isTrue(() -> references("").size() == 2, "the layer on the fake tree");
    }

    private Collection<ServiceReference<PciDevice>> references(String filter) {
        return felix.references(PciDevice.class, "(&(" + PciDeviceProperties.LAYER + "=sysfs)" + filter + ")");
    }

    @Test
    void oneServicePerFunctionWithFilterableProperties() {
        Collection<ServiceReference<PciDevice>> edu = references(EDU_FILTER);
        assertEquals(1, edu.size());
        ServiceReference<PciDevice> ref = edu.iterator().next();
        assertEquals(EDU, ref.getProperty(PciDeviceProperties.ADDRESS));
        assertEquals("00ff00", ref.getProperty(PciDeviceProperties.CLASS));
        assertEquals(-1, ref.getProperty(PciDeviceProperties.NUMA_NODE));
        assertEquals("DIRECT", ref.getProperty(PciDeviceProperties.DMA_TRANSLATION));
        assertEquals(null, ref.getProperty(PciDeviceProperties.DRIVER));
        assertEquals(1, references("(" + PciDeviceProperties.DRIVER + "=e1000)").size());
        assertEquals(2, references("").size());
        PciDevice device = felix.context().getService(ref);
        assertEquals(0x11e8, device.deviceId());
    }

    @Test
    void servicesFollowHotPlugAndDriverBinding() {
        long before = serviceId(EDU);
        sysfs.bind(EDU, "bigbuf");
        Await.isTrue(() -> references("(&" + EDU_FILTER + "(" + PciDeviceProperties.DRIVER + "=bigbuf))").size() == 1,
                "the driver property after bind");
        assertEquals(before, serviceId(EDU), "a driver change updates the service, it does not replace it");
        assertEquals("bigbuf", felix.context().getService(references(EDU_FILTER).iterator().next()).driver().orElseThrow());

        sysfs.addFunction("0000:00:06.0", 0x1234, 0x11e8);
        Await.isTrue(() -> references(EDU_FILTER).size() == 2, "a second edu after hot plug");
        sysfs.remove(EDU);
        Await.isTrue(() -> references(EDU_FILTER).size() == 1, "the unplugged function's service to go");
        assertEquals("0000:00:06.0", references(EDU_FILTER).iterator().next().getProperty(PciDeviceProperties.ADDRESS));
    }

    @Test
    void stoppingTheLayerClosesWhatWasOpenedThroughIt() throws Exception {
        PciDevice device = felix.context().getService(references(EDU_FILTER).iterator().next());
        PciFunction function = device.open();
        function.setBusMaster(true);
        function.bar(0).write32(0, 42);
        assertEquals(0x6, sysfs.command(EDU));
        felix.bundle(Components.PCI_SYSFS_BUNDLE).stop();
        assertTrue(function.isClosed());
        assertEquals(0, sysfs.command(EDU), "bus mastering and memory decoding off again");
        assertThrows(IllegalStateException.class, () -> function.bar(0));
        assertTrue(felix.references(PciDevice.class, null).isEmpty());
    }

    @Test
    void pciCommandsListAndDescribeTheFunctions() throws Exception {
        CommandSession session = felix.gogoSession();
        try {
            String list = String.valueOf(Await.until(() -> {
                try {
                    Object out = session.execute("pci:list");
                    return String.valueOf(out).contains(EDU) ? out : null;
                } catch (Exception notYet) {
                    return null;
                }
            }, "pci:list"));
            assertTrue(list.lines().anyMatch(l -> l.matches(EDU + " +1234:11e8 00ff00 -  .* direct +sysfs")), list);
            assertTrue(list.lines().anyMatch(l -> l.matches(NIC + " +8086:100e 00ff00 e1000 .*")), list);
            assertTrue(list.endsWith("2 functions"), list);

            String info = String.valueOf(session.execute("pci:info 00:04.0"));
            assertTrue(info.contains("vendor:device  1234:11e8"), info);
            assertTrue(info.contains("BAR 0          memory at 0xfea00000, 4 KiB"), info);
            assertTrue(info.contains("BAR 2          I/O ports at 0xc000, 32 B"), info);
            Exception unknown = assertThrows(Exception.class, () -> session.execute("pci:info 0000:00:1f.7"));
            assertEquals("no PCI function 0000:00:1f.7 (pci:list shows them)", unknown.getMessage());
        } finally {
            session.close();
        }
    }

    private long serviceId(String address) {
        ServiceReference<PciDevice> ref = references("(" + PciDeviceProperties.ADDRESS + "=" + address + ")").iterator().next();
        return (Long) ref.getProperty(Constants.SERVICE_ID);
    }

    @Test
    void aBadConfigurationIsRefusedWithItsReason() throws Exception {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("sysfs.root", sysfs.root().toString());
        props.put("rescan.interval.ms", 1L);
        felix.awaitService(ConfigurationAdmin.class, null).getConfiguration("io.bigbuf.pci.sysfs", "?").update(props);
        ComponentConfigurationDTO failed = felix.awaitComponentState(Components.PCI_SYSFS_BUNDLE,
                "io.bigbuf.pci.sysfs.SysfsPciLayer", ComponentConfigurationDTO.FAILED_ACTIVATION);
        assertTrue(failed.failure.contains("rescan.interval.ms must be at least 50, got 1"), failed.failure);
        assertTrue(felix.references(PciDevice.class, null).isEmpty(), "no services of a layer that did not start");
    }
}
