package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.testkit.Await;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import io.bigbuf.testkit.FelixBundles;
import io.bigbuf.testkit.FelixExtension;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/** The mock backend configured through ConfigAdmin (PID io.bigbuf.mock) and described by Metatype. */
@ExtendWith(FelixExtension.class)
@FelixBundles({Components.MOCK_BUNDLE})
class ConfigurationIT {

    private EmbeddedFelix felix;
    private Configuration configuration;

    @BeforeEach
    void start(EmbeddedFelix felix) throws Exception {
        this.felix = felix;
        configuration = felix.awaitService(ConfigurationAdmin.class, null).getConfiguration("io.bigbuf.mock", "?");
    }


    @Test
    void newLayoutRestartsTheBackendAndClosesItsBuffers() throws Exception {
        ContiguousAllocator before = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        DmaBuffer old = before.allocate(1 << 20);

        Dictionary<String, Object> props = new Hashtable<>();
        props.put("memory.size", "64M");
        props.put("memory.base", "0x100000000");
        props.put("fragmentation.pattern", "striped");
        props.put("fragmentation.percent", 100);
        configuration.update(props);

        ContiguousAllocator after = Await.until(() -> {
            ContiguousAllocator a = felix.currentService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
            return a != null && a.backendInfo().totalBytes() == 64L << 20 ? a : null;
        }, "the mock to restart with 64 MiB");
        assertTrue(old.isClosed(), "buffers of the old layout are closed with it");
        assertTrue(after.backendInfo().description().contains("0x100000000"), after.backendInfo().description());
        assertEquals((4L << 20) - 4096, after.statistics().largestContiguousFree().getAsLong(),
                "striped 100%: one pinned page in every 4 MiB block");
        try (DmaBuffer high = after.allocate(1 << 20)) {
            assertTrue(high.physicalAddress() >= 1L << 32);
        }
    }

    @Test
    void invalidConfigurationFailsActivationVisiblyAndAFixRecovers() throws Exception {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("memory.size", "lots");
        configuration.update(props);
        ComponentConfigurationDTO failed = felix.awaitComponentState(Components.MOCK_BUNDLE, Components.MOCK_COMPONENT,
                ComponentConfigurationDTO.FAILED_ACTIVATION);
        assertNotNull(failed.failure);
        assertTrue(failed.failure.contains("invalid configuration io.bigbuf.mock: memory.size: 'lots' is not a size"),
                failed.failure);
        assertEquals(null, felix.currentService(ContiguousAllocator.class, null), "no usable allocator with a broken config");

        props.put("memory.size", "32M");
        configuration.update(props);
        Await.until(() -> {
            ContiguousAllocator a = felix.currentService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
            return a != null && a.backendInfo().totalBytes() == 32L << 20 ? a : null;
        }, "the mock to come back with 32 MiB");
    }

    @Test
    void metatypeDescribesEverySetting() {
        MetaTypeService metatype = felix.awaitService(MetaTypeService.class, null);
        MetaTypeInformation info = metatype.getMetaTypeInformation(felix.bundle(Components.MOCK_BUNDLE));
        assertTrue(Arrays.asList(info.getPids()).contains("io.bigbuf.mock"));
        ObjectClassDefinition ocd = info.getObjectClassDefinition("io.bigbuf.mock", null);
        Map<String, AttributeDefinition> attributes = Arrays.stream(ocd.getAttributeDefinitions(ObjectClassDefinition.ALL))
                .collect(Collectors.toMap(AttributeDefinition::getID, a -> a));
        assertEquals(java.util.Set.of("memory.size", "memory.base", "fragmentation.pattern", "fragmentation.percent",
                "fragmentation.seed", "failure.every", "memlock.limit", "iommu.mode", "pci.devices", "pci.busy"),
                attributes.keySet());
        assertEquals("8G", attributes.get("memory.size").getDefaultValue()[0]);
        assertEquals(AttributeDefinition.INTEGER, attributes.get("fragmentation.percent").getType());
        assertEquals(Arrays.asList("none", "random", "striped"),
                Arrays.asList(attributes.get("fragmentation.pattern").getOptionValues()));
    }
}
