package io.bigbuf.shell;

import io.bigbuf.api.ContiguousAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

/**
 * Why no {@link ContiguousAllocator} is registered, from SCR's view of the components that would
 * provide one: a backend bundle can be active while its component failed to activate (a bad
 * configuration) or waits for a configuration or a reference. Telling the user to start an active
 * bundle would send them the wrong way, so the message names the component and its state.
 */
final class BackendDiagnosis {

    /** What to do when SCR knows no backend component at all. */
    static final String NO_BACKEND = "no bigbuf backend is running; start bundle io.bigbuf.mock or load the kernel module";

    /** DS 1.5: the reference every component with a satisfying condition has. */
    private static final String SATISFYING_CONDITION = "osgi.ds.satisfying.condition";

    private BackendDiagnosis() {
    }

    /**
     * One line: {@link #NO_BACKEND}, or the reasons of the backend components that are not
     * running, those that failed to activate first (those need the user), then those that wait.
     */
    static String explain(ServiceComponentRuntime scr) {
        if (scr == null) {
            return NO_BACKEND;
        }
        List<String> failed = new ArrayList<>();
        List<String> waiting = new ArrayList<>();
        for (ComponentDescriptionDTO component : scr.getComponentDescriptionDTOs()) {
            if (!Arrays.asList(component.serviceInterfaces).contains(ContiguousAllocator.class.getName())) {
                continue;
            }
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(component)) {
                switch (c.state) {
                    case ComponentConfigurationDTO.FAILED_ACTIVATION -> failed.add(component.name
                            + " failed to activate: " + FailureText.reason(c.failure) + fixHint(component));
                    case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> failed.add(component.name
                            + " waits for a configuration of PID " + String.join(", ", component.configurationPid)
                            + " (create it with bigbuf:config " + component.configurationPid[0] + " KEY=VALUE)");
                    case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> waiting.add(component.name
                            + " waits for " + Arrays.stream(c.unsatisfiedReferences).map(BackendDiagnosis::describe)
                                    .collect(Collectors.joining(" and ")));
                    default -> { } // active or about to be: the command's grace period covers it
                }
            }
        }
        if (failed.isEmpty() && waiting.isEmpty()) {
            return NO_BACKEND;
        }
        List<String> reasons = new ArrayList<>(failed);
        reasons.addAll(waiting);
        String text = "no bigbuf backend is running: " + String.join("; ", reasons);
        return failed.isEmpty() ? text + "; start bundle io.bigbuf.mock or load the kernel module" : text;
    }

    private static String fixHint(ComponentDescriptionDTO component) {
        if (component.configurationPid.length == 0) {
            return "";
        }
        String pid = component.configurationPid[0];
        return " (fix it with bigbuf:config " + pid + " KEY=VALUE, or bigbuf:config --reset " + pid + ")";
    }

    private static String describe(UnsatisfiedReferenceDTO reference) {
        if (SATISFYING_CONDITION.equals(reference.name)) {
            return "condition " + reference.target;
        }
        return "reference " + reference.name + (reference.target == null ? "" : " " + reference.target);
    }
}
