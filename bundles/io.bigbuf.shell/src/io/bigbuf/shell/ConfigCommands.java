package io.bigbuf.shell;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.ComponentConstants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * {@code bigbuf:config}: shows and changes the ConfigAdmin configuration of bigbuf components
 * (PIDs {@code io.bigbuf.*}, e.g. {@code io.bigbuf.mock}) from the prompt, so that a simulated
 * memory layout or failure injection can be tried without another console. Values are stored as
 * strings; the components' property types convert them (DS coercion).
 *
 * <p>ConfigAdmin and SCR apply a change asynchronously. The command returns once the component of
 * that name runs with it, so that the next statement of a script meets the new configuration; a
 * configuration the component rejects at activation is rolled back to the previous one and the
 * command fails with the component's reason.
 */
@Component(service = ConfigCommands.class, property = {
    "osgi.command.scope=bigbuf",
    "osgi.command.function=config"
})
public class ConfigCommands {

    private static final String BIGBUF_PID_PREFIX = "io.bigbuf.";

    /** How long a change may take to reach the component (SCR restarts it; slow in emulated guests). */
    static final long APPLY_TIMEOUT_MILLIS = 30_000;

    private static final long POLL_MILLIS = 10;

    private final ConfigurationAdmin configurationAdmin;
    private final ServiceComponentRuntime scr;
    private final BundleContext context;

    @Activate
    public ConfigCommands(@Reference ConfigurationAdmin configurationAdmin, @Reference ServiceComponentRuntime scr,
            BundleContext context) {
        this.configurationAdmin = configurationAdmin;
        this.scr = scr;
        this.context = context;
    }

    static final String CONFIG_USAGE = "usage: bigbuf:config [--reset] PID [key=value...]";

    @Descriptor("show or change a bigbuf configuration, e.g. bigbuf:config io.bigbuf.mock memory.size=64M")
    public String config(
            @Descriptor("delete the configuration: the component falls back to its defaults")
            @Parameter(names = {"--reset"}, presentValue = "true", absentValue = "false") boolean reset,
            @Descriptor("configuration PID, e.g. io.bigbuf.mock, then the key=value settings to add or change")
            String... operands) throws IOException {
        String[] given = operands == null ? new String[0] : operands;
        if (given.length == 0) {
            throw new IllegalArgumentException("missing PID; " + CONFIG_USAGE);
        }
        for (String operand : given) {
            if (operand.startsWith("-")) {
                throw new IllegalArgumentException("unknown option " + operand + "; " + CONFIG_USAGE);
            }
        }
        String pid = given[0];
        String[] settings = Arrays.copyOfRange(given, 1, given.length);
        if (!pid.startsWith(BIGBUF_PID_PREFIX)) {
            throw new IllegalArgumentException("'" + pid + "' is not a bigbuf PID; use e.g. io.bigbuf.mock");
        }
        // "?": a multi-location binding, so the configuration reaches the component in any bundle.
        Configuration configuration = configurationAdmin.getConfiguration(pid, "?");
        Dictionary<String, Object> previous = configuration.getProperties();
        if (reset) {
            if (settings.length > 0) {
                throw new IllegalArgumentException("--reset takes no key=value settings");
            }
            apply(pid, configuration, null, previous);
            return pid + ": configuration deleted, defaults apply";
        }
        if (settings.length == 0) {
            return describe(pid, previous);
        }
        Dictionary<String, Object> updated = copy(previous);
        for (String setting : settings) {
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + setting + "' is not key=value, e.g. memory.size=64M");
            }
            updated.put(setting.substring(0, eq).trim(), setting.substring(eq + 1).trim());
        }
        apply(pid, configuration, updated, previous);
        return describe(pid, updated);
    }

    /**
     * Stores {@code wanted} (null: deletes the configuration) and waits until the components that
     * {@code pid} configures run with it. When one fails to activate with it, {@code previous}
     * is stored again, and once that is back in force the command fails with the component's reason.
     */
    private void apply(String pid, Configuration configuration, Dictionary<String, Object> wanted,
            Dictionary<String, Object> previous) throws IOException {
        Set<Long> before = registrations(pid);
        store(configuration, wanted);
        String rejection = awaitApplied(pid, wanted, previous, before);
        if (rejection != null) {
            Set<Long> failed = registrations(pid);
            store(configuration, previous);
            awaitApplied(pid, previous, wanted, failed);
            throw new IllegalArgumentException(pid + ": rejected, previous configuration restored: " + rejection);
        }
    }

    private static void store(Configuration configuration, Dictionary<String, Object> properties)
            throws IOException {
        if (properties == null) {
            configuration.delete();
        } else {
            configuration.update(properties);
        }
    }

    /**
     * Waits until the components that {@code pid} configures run with the settings of {@code now}
     * (null: none, their defaults apply) in place of those of {@code before}.
     * {@code registrations}: their services before the change.
     *
     * @return null when applied, else the reason a component failed to activate with them
     */
    private String awaitApplied(String pid, Dictionary<String, Object> now, Dictionary<String, Object> before,
            Set<Long> registrations) {
        List<ComponentDescriptionDTO> components = componentsOf(pid);
        if (components.isEmpty()) {
            return null; // no component takes this PID in this runtime (yet): nothing to wait for
        }
        Set<String> keys = new HashSet<>(settingKeys(now));
        keys.addAll(settingKeys(before));
        long deadline = System.nanoTime() + APPLY_TIMEOUT_MILLIS * 1_000_000;
        int lastState = -1;
        while (System.nanoTime() < deadline) {
            for (ComponentDescriptionDTO component : components) {
                Map<String, String> expected = expected(component, keys, now);
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(component)) {
                    if (!carries(c.properties, expected)) {
                        continue;
                    }
                    lastState = c.state;
                    // SCR shows the new properties before the old instance is gone, and registers
                    // an immediate component's service before activating it: applied means active
                    // (satisfied for a delayed one) with a service registered with them.
                    if ((c.state == ComponentConfigurationDTO.ACTIVE
                            || (!component.immediate && c.state == ComponentConfigurationDTO.SATISFIED))
                            && (component.serviceInterfaces.length == 0
                                    || registeredWith(component, expected, registrations))) {
                        return null;
                    }
                    if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                        return reason(c.failure);
                    }
                }
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(pid + ": interrupted while the change was being applied", e);
            }
        }
        throw new IllegalStateException(pid + ": stored, but the component has not picked it up within "
                + APPLY_TIMEOUT_MILLIS / 1000 + " s (" + (lastState < 0 ? "still on the old configuration"
                        : "state " + lastState) + "); see scr:info " + pid);
    }

    private List<ComponentDescriptionDTO> componentsOf(String pid) {
        return scr.getComponentDescriptionDTOs().stream()
                .filter(d -> Arrays.asList(d.configurationPid).contains(pid)).toList();
    }

    /**
     * Whether the component's service is registered with the new settings: a new registration
     * once the old ones are gone, or (a component that takes changes in its modified method) an
     * old one with updated properties.
     */
    private boolean registeredWith(ComponentDescriptionDTO component, Map<String, String> expected,
            Set<Long> before) {
        boolean found = false;
        for (ServiceReference<?> ref : references(component.name)) {
            boolean old = before.contains((Long) ref.getProperty(Constants.SERVICE_ID));
            if (old && component.modified == null) {
                return false; // the old instance is still on its way out
            }
            Map<String, Object> properties = new HashMap<>();
            for (String key : ref.getPropertyKeys()) {
                properties.put(key, ref.getProperty(key));
            }
            found |= carries(properties, expected);
        }
        return found;
    }

    /** The service registrations of the components that {@code pid} configures. */
    private Set<Long> registrations(String pid) {
        Set<Long> ids = new HashSet<>();
        for (ComponentDescriptionDTO component : componentsOf(pid)) {
            for (ServiceReference<?> ref : references(component.name)) {
                ids.add((Long) ref.getProperty(Constants.SERVICE_ID));
            }
        }
        return ids;
    }

    private ServiceReference<?>[] references(String componentName) {
        try {
            ServiceReference<?>[] refs = context.getServiceReferences((String) null,
                    "(" + ComponentConstants.COMPONENT_NAME + "=" + componentName + ")");
            return refs == null ? new ServiceReference<?>[0] : refs;
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("'" + componentName + "' is not a valid component name", e);
        }
    }

    /**
     * The values the component's properties must have for {@code keys} once {@code settings} apply:
     * a setting's, else the component's own default; null for a property it must not have.
     */
    private static Map<String, String> expected(ComponentDescriptionDTO component, Set<String> keys,
            Dictionary<String, Object> settings) {
        Map<String, String> expected = new HashMap<>();
        for (String key : keys) {
            Object value = settings == null ? null : settings.get(key);
            if (value == null) {
                value = component.properties.get(key);
            }
            expected.put(key, value == null ? null : String.valueOf(value));
        }
        return expected;
    }

    private static boolean carries(Map<String, Object> properties, Map<String, String> expected) {
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Object value = properties.get(e.getKey());
            if (!Objects.equals(e.getValue(), value == null ? null : String.valueOf(value))) {
                return false;
            }
        }
        return true;
    }


    /** The keys a user set, without those ConfigAdmin and Felix add. */
    private static List<String> settingKeys(Dictionary<String, Object> properties) {
        return properties == null ? List.of() : Collections.list(properties.keys()).stream()
                .filter(ConfigCommands::isSetting).toList();
    }

    private static boolean isSetting(String key) {
        return !key.startsWith("service.") && !key.startsWith("felix.");
    }

    private static Dictionary<String, Object> copy(Dictionary<String, Object> properties) {
        Dictionary<String, Object> copy = new Hashtable<>();
        if (properties != null) {
            for (String key : Collections.list(properties.keys())) {
                copy.put(key, properties.get(key));
            }
        }
        return copy;
    }

    /**
     * The first message in SCR's failure text (a stack trace): the component's own words, not the
     * reflection wrapper around them or the low-level cause below them.
     */
    private static String reason(String failure) {
        if (failure == null || failure.isBlank()) {
            return "activation failed";
        }
        return failure.lines()
                .map(l -> l.startsWith("Caused by: ") ? l.substring("Caused by: ".length()) : l)
                .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .map(ConfigCommands::messageOf)
                .filter(m -> !m.isEmpty())
                .findFirst().orElse("activation failed");
    }

    /** "java.lang.IllegalArgumentException: text" -> "text"; "" for a header without a message. */
    private static String messageOf(String header) {
        int colon = header.indexOf(": ");
        String type = colon > 0 ? header.substring(0, colon) : header;
        if (!type.matches("[\\w.$]+")) {
            return header;
        }
        return colon > 0 ? header.substring(colon + 2).trim() : "";
    }

    private static String describe(String pid, Dictionary<String, Object> properties) {
        if (properties == null) {
            return pid + ": no configuration, defaults apply";
        }
        TreeMap<String, Object> sorted = new TreeMap<>();
        for (String key : Collections.list(properties.keys())) {
            if (isSetting(key)) {
                sorted.put(key, properties.get(key));
            }
        }
        return pid + ": " + sorted.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "));
    }
}
