package io.bigbuf.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;
import org.osgi.util.promise.Promise;

/**
 * The "no backend" line names why the backend components SCR knows are not running, instead of
 * telling the user to start a bundle that is active.
 */
class BackendDiagnosisTest {

    private static final String ALLOCATOR = "io.bigbuf.api.ContiguousAllocator";

    private final Map<ComponentDescriptionDTO, List<ComponentConfigurationDTO>> components = new LinkedHashMap<>();

    private final ServiceComponentRuntime scr = new ServiceComponentRuntime() {
        @Override
        public Collection<ComponentDescriptionDTO> getComponentDescriptionDTOs(Bundle... bundles) {
            return components.keySet();
        }

        @Override
        public ComponentDescriptionDTO getComponentDescriptionDTO(Bundle bundle, String name) {
            return null;
        }

        @Override
        public Collection<ComponentConfigurationDTO> getComponentConfigurationDTOs(ComponentDescriptionDTO d) {
            return components.get(d);
        }

        @Override
        public boolean isComponentEnabled(ComponentDescriptionDTO d) {
            return true;
        }

        @Override
        public Promise<Void> enableComponent(ComponentDescriptionDTO d) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Promise<Void> disableComponent(ComponentDescriptionDTO d) {
            throw new UnsupportedOperationException();
        }
    };

    private ComponentConfigurationDTO add(String name, String service, String pid, int state) {
        ComponentDescriptionDTO d = new ComponentDescriptionDTO();
        d.name = name;
        d.serviceInterfaces = new String[] {service};
        d.configurationPid = new String[] {pid};
        ComponentConfigurationDTO c = new ComponentConfigurationDTO();
        c.state = state;
        c.unsatisfiedReferences = new UnsatisfiedReferenceDTO[0];
        components.put(d, List.of(c));
        return c;
    }

    @Test
    void withoutBackendComponentsTheAdviceIsToStartOne() {
        assertEquals(BackendDiagnosis.NO_BACKEND, BackendDiagnosis.explain(scr));
        add("io.bigbuf.examples.consumer.WorkingBufferConsumer", "", "io.bigbuf.examples.consumer",
                ComponentConfigurationDTO.FAILED_ACTIVATION).failure = "java.lang.IllegalStateException: not ours";
        assertEquals(BackendDiagnosis.NO_BACKEND, BackendDiagnosis.explain(scr), "only allocator components count");
        assertEquals(BackendDiagnosis.NO_BACKEND, BackendDiagnosis.explain(null));
    }

    @Test
    void aFailedActivationIsNamedWithItsMessageAndTheFix() {
        add("io.bigbuf.mock.MockAllocator", ALLOCATOR, "io.bigbuf.mock", ComponentConfigurationDTO.FAILED_ACTIVATION)
                .failure = "java.lang.reflect.InvocationTargetException\n"
                        + "\tat org.apache.felix.scr...\n"
                        + "Caused by: java.lang.IllegalArgumentException: invalid configuration io.bigbuf.mock: memory.size:"
                        + " 'lots' is not a size; use e.g. 4096, 64K, 64M, 1G\n\tat io.bigbuf.mock...";
        ComponentConfigurationDTO kmod = add("io.bigbuf.kmod.KmodAllocator", ALLOCATOR, "io.bigbuf.kmod",
                ComponentConfigurationDTO.UNSATISFIED_REFERENCE);
        UnsatisfiedReferenceDTO condition = new UnsatisfiedReferenceDTO();
        condition.name = "osgi.ds.satisfying.condition";
        condition.target = "(osgi.condition.id=bigbuf.kmod.device)";
        kmod.unsatisfiedReferences = new UnsatisfiedReferenceDTO[] {condition};
        assertEquals("no bigbuf backend is running: io.bigbuf.mock.MockAllocator failed to activate: invalid"
                + " configuration io.bigbuf.mock: memory.size: 'lots' is not a size; use e.g. 4096, 64K, 64M, 1G"
                + " (fix it with bigbuf:config io.bigbuf.mock KEY=VALUE, or bigbuf:config --reset io.bigbuf.mock);"
                + " io.bigbuf.kmod.KmodAllocator waits for condition (osgi.condition.id=bigbuf.kmod.device)",
                BackendDiagnosis.explain(scr));
    }

    @Test
    void waitingComponentsAreNamedWithWhatTheyWaitFor() {
        add("io.bigbuf.mock.MockAllocator", ALLOCATOR, "io.bigbuf.mock", ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION);
        assertEquals("no bigbuf backend is running: io.bigbuf.mock.MockAllocator waits for a configuration of PID"
                + " io.bigbuf.mock (create it with bigbuf:config io.bigbuf.mock KEY=VALUE)", BackendDiagnosis.explain(scr));
        components.clear();
        ComponentConfigurationDTO c = add("org.example.Backend", ALLOCATOR, "org.example", ComponentConfigurationDTO.UNSATISFIED_REFERENCE);
        UnsatisfiedReferenceDTO ref = new UnsatisfiedReferenceDTO();
        ref.name = "pci";
        c.unsatisfiedReferences = new UnsatisfiedReferenceDTO[] {ref};
        assertEquals("no bigbuf backend is running: org.example.Backend waits for reference pci; start bundle"
                + " io.bigbuf.mock or load the kernel module", BackendDiagnosis.explain(scr));
    }
}
