package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.testkit.Await;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import io.bigbuf.testkit.FelixBundles;
import io.bigbuf.testkit.FelixExtension;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.condition.Condition;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeService;

/**
 * The kernel backend bundle on a host without the module: it resolves (JNA included), its DS
 * components exist, the allocator waits for its device condition instead of failing, a device
 * that is not bigbuf is refused with a log line naming the errno, and its settings are described
 * by Metatype. With the module loaded it is tested in the VM (tests-e2e).
 */
@ExtendWith(FelixExtension.class)
@FelixBundles({Components.JNA_BUNDLE, Components.KMOD_BUNDLE, Components.MOCK_BUNDLE, Components.CONSUMER_BUNDLE})
class KmodBackendIT {

    private static final String WATCHER = "io.bigbuf.kmod.osgi.DeviceWatcher";
    private static final String DEVICE_CONDITION = "(osgi.condition.id=bigbuf.kmod.device)";

    private EmbeddedFelix felix;
    private final List<String> watcherLog = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            watcherLog.add(record.getLevel() + " " + java.text.MessageFormat.format(record.getMessage(),
                    record.getParameters() == null ? new Object[0] : record.getParameters()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** Before the framework starts (FelixExtension starts it before any @BeforeEach method). */
    KmodBackendIT() {
        Logger.getLogger(WATCHER).addHandler(capture);
    }

    @BeforeEach
    void start(EmbeddedFelix felix) {
        this.felix = felix;
    }

    @AfterEach
    void stop() {
        Logger.getLogger(WATCHER).removeHandler(capture);
    }

    @Test
    void withoutTheModuleTheAllocatorWaitsForItsDeviceAndTheConsumerUsesTheMock() {
        felix.awaitComponentState(Components.KMOD_BUNDLE, WATCHER, ComponentConfigurationDTO.ACTIVE);
        ComponentConfigurationDTO allocator = felix.awaitComponentState(Components.KMOD_BUNDLE, Components.KMOD_COMPONENT,
                ComponentConfigurationDTO.UNSATISFIED_REFERENCE);
        assertEquals(List.of("osgi.ds.satisfying.condition"),
                Arrays.stream(allocator.unsatisfiedReferences).map(r -> r.name).toList());
        assertTrue(felix.references(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_KMOD).isEmpty());
        ContiguousAllocator mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        Await.until(() -> Components.consumerBuffer(mock).orElse(null), "the consumer's buffer in the mock");
    }

    @Test
    void aDeviceThatIsNotBigbufIsRefusedWithTheErrnoInTheLog() throws Exception {
        configure(Map.of("device.path", "/dev/null", "poll.interval.ms", 50L));
        Await.isTrue(() -> watcherLog.stream().anyMatch(l -> l.equals(
                "WARNING cannot use /dev/null yet: ioctl(BIGBUF_IOC_INFO) on /dev/null failed: ENOTTY; retrying")),
                "the watcher to refuse /dev/null; log so far: " + watcherLog);
        assertTrue(felix.references(Condition.class, DEVICE_CONDITION).isEmpty(), "no device condition for /dev/null");
        assertEquals(ComponentConfigurationDTO.UNSATISFIED_REFERENCE, felix.component(Components.KMOD_BUNDLE, Components.KMOD_COMPONENT).state);
        Thread.sleep(300);
        assertEquals(1, watcherLog.stream().filter(l -> l.contains("ENOTTY")).count(),
                "a refusal is logged once, not on every poll: " + watcherLog);
    }

    @Test
    void aTooShortPollIntervalFailsTheWatcherVisibly() throws Exception {
        configure(Map.of("poll.interval.ms", 1L));
        ComponentConfigurationDTO failed = felix.awaitComponentState(Components.KMOD_BUNDLE, WATCHER,
                ComponentConfigurationDTO.FAILED_ACTIVATION);
        assertTrue(failed.failure.contains("poll.interval.ms must be at least 10, got 1"), failed.failure);
    }

    @Test
    void settingsAreDescribedByMetatype() {
        MetaTypeService metatype = felix.awaitService(MetaTypeService.class, null);
        AttributeDefinition[] attributes = metatype.getMetaTypeInformation(felix.bundle(Components.KMOD_BUNDLE))
                .getObjectClassDefinition("io.bigbuf.kmod", null).getAttributeDefinitions(-1);
        Map<String, String> defaults = Arrays.stream(attributes)
                .collect(Collectors.toMap(AttributeDefinition::getID, a -> String.join(",", a.getDefaultValue())));
        assertEquals(Map.of("device.path", "/dev/bigbuf", "poll.interval.ms", "1000"), defaults);
    }

    private void configure(Map<String, Object> properties) throws Exception {
        Configuration configuration = felix.awaitService(ConfigurationAdmin.class, null).getConfiguration("io.bigbuf.kmod", "?");
        Dictionary<String, Object> props = new Hashtable<>(properties);
        configuration.update(props);
    }
}
