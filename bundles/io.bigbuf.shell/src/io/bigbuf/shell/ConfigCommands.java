package io.bigbuf.shell;

import io.bigbuf.api.ContiguousAllocator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
import org.osgi.service.metatype.MetaTypeService;

/**
 * {@code bigbuf:config}: shows and changes the ConfigAdmin configuration of bigbuf components
 * (PIDs {@code io.bigbuf.*}, e.g. {@code io.bigbuf.mock}) from the prompt, so that a simulated
 * memory layout or failure injection can be tried without another console. Values are stored as
 * strings; the components' property types convert them (DS coercion).
 *
 * <p>Nothing is stored that the Metatype of the installed bundles does not describe
 * ({@link ConfigSchema}): an unknown PID or key, or a value that does not read as its attribute's
 * type ({@link AttributeCheck}), fails with one line before the backend is touched. A change that
 * restarts a backend closes its buffers; the command says how many. It does not ask for a
 * confirmation flag: in the default runtime the example consumer always holds a buffer (and takes
 * a new one after the restart), so every change would need it, and {@code bigbuf:list} shows
 * beforehand what a restart closes. A change that leaves every value as it is restarts nothing.
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

    /** How long a change may take to reach the component (SCR restarts it; slow in emulated guests). */
    static final long APPLY_TIMEOUT_MILLIS = 30_000;

    private static final long POLL_MILLIS = 10;

    /** See {@link #awaitApplied}: how long an earlier activation failure may still be on show. */
    static final long STALE_FAILURE_SETTLE_MILLIS = 2_000;

    private final ConfigurationAdmin configurationAdmin;
    private final ServiceComponentRuntime scr;
    private final MetaTypeService metatype;
    private final BundleContext context;

    @Activate
    public ConfigCommands(@Reference ConfigurationAdmin configurationAdmin, @Reference ServiceComponentRuntime scr,
            @Reference MetaTypeService metatype, BundleContext context) {
        this.configurationAdmin = configurationAdmin;
        this.scr = scr;
        this.metatype = metatype;
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
        if (!pid.startsWith(ConfigSchema.PID_PREFIX)) {
            throw new IllegalArgumentException("'" + pid + "' is not a bigbuf PID; use e.g. io.bigbuf.mock");
        }
        ConfigSchema schema = ConfigSchema.of(metatype, context.getBundles());
        // "?": a multi-location binding, so the configuration reaches the component in any bundle.
        Configuration configuration = configurationAdmin.getConfiguration(pid, "?");
        Dictionary<String, Object> previous = configuration.getProperties();
        if (previous == null || settings.length > 0) {
            // A stored configuration of a PID nobody describes (any longer) can still be shown and deleted.
            schema.requireKnown(pid);
        }
        if (reset) {
            if (settings.length > 0) {
                throw new IllegalArgumentException("--reset takes no key=value settings");
            }
            if (previous == null) {
                return describe(pid, null);
            }
            OpenBuffers closing = OpenBuffers.of(context, backendsOf(pid));
            apply(pid, configuration, null, previous, closing);
            return pid + ": configuration deleted, defaults apply" + closing.closedNote(pid);
        }
        if (settings.length == 0) {
            return describe(pid, previous);
        }
        Map<String, String> changes = new LinkedHashMap<>();
        for (String setting : settings) {
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + setting + "' is not key=value, e.g. memory.size=64M");
            }
            changes.put(setting.substring(0, eq).trim(), setting.substring(eq + 1).trim());
        }
        Dictionary<String, Object> updated = copy(previous);
        schema.check(pid, changes).forEach(updated::put);
        // The whole result must fit, not only the changes: a value another client stored may not.
        Map<String, String> kept = settingsOf(updated);
        kept.keySet().removeAll(changes.keySet());
        try {
            schema.check(pid, kept);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (stored earlier; set it too, or bigbuf:config --reset "
                    + pid + ")", e);
        }
        if (previous != null && settingsOf(updated).equals(settingsOf(previous))) {
            return describe(pid, previous) + " (unchanged, nothing restarted)";
        }
        OpenBuffers closing = OpenBuffers.of(context, backendsOf(pid));
        apply(pid, configuration, updated, previous, closing);
        return describe(pid, updated) + closing.closedNote(pid);
    }

    /**
     * Stores {@code wanted} (null: deletes the configuration) and waits until the components that
     * {@code pid} configures run with it. When one fails to activate with it, {@code previous}
     * is stored again, and once that is back in force the command fails with the component's reason.
     */
    private void apply(String pid, Configuration configuration, Dictionary<String, Object> wanted,
            Dictionary<String, Object> previous, OpenBuffers closing) throws IOException {
        Set<Long> before = registrations(pid);
        Set<String> failedBefore = failures(pid);
        store(configuration, wanted);
        String rejection = awaitApplied(pid, wanted, previous, before, failedBefore);
        if (rejection != null) {
            Set<Long> failed = registrations(pid);
            Set<String> failedNow = failures(pid);
            store(configuration, previous);
            awaitApplied(pid, previous, wanted, failed, failedNow);
            int closed = closing.closed();
            throw new IllegalArgumentException(pid + ": rejected, previous configuration restored"
                    + (closed == 0 ? "" : " (the attempt closed " + OpenBuffers.count(closed) + ")") + ": " + rejection);
        }
    }

    /**
     * The allocators of the components {@code pid} configures that a change restarts (those
     * without a modified method): a restart closes their buffers.
     */
    private List<ServiceReference<ContiguousAllocator>> backendsOf(String pid) {
        List<ServiceReference<ContiguousAllocator>> backends = new ArrayList<>();
        for (ComponentDescriptionDTO component : componentsOf(pid)) {
            if (component.modified != null) {
                continue;
            }
            try {
                backends.addAll(context.getServiceReferences(ContiguousAllocator.class,
                        "(" + ComponentConstants.COMPONENT_NAME + "=" + component.name + ")"));
            } catch (InvalidSyntaxException e) {
                throw new IllegalArgumentException("'" + component.name + "' is not a valid component name", e);
            }
        }
        return backends;
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
     * {@code registrations}: their services before the change. {@code staleFailures}: the failure
     * texts of those that had failed to activate before it: SCR shows a reconfigured component's
     * new properties while its state and failure are still those of the last attempt, so such a
     * failure counts only once it has stood for {@link #STALE_FAILURE_SETTLE_MILLIS}.
     *
     * @return null when applied, else the reason a component failed to activate with them
     */
    private String awaitApplied(String pid, Dictionary<String, Object> now, Dictionary<String, Object> before,
            Set<Long> registrations, Set<String> staleFailures) {
        List<ComponentDescriptionDTO> components = componentsOf(pid);
        if (components.isEmpty()) {
            return null; // no component takes this PID in this runtime (yet): nothing to wait for
        }
        Set<String> keys = new HashSet<>(settingKeys(now));
        keys.addAll(settingKeys(before));
        long start = System.nanoTime();
        long deadline = start + APPLY_TIMEOUT_MILLIS * 1_000_000;
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
                    if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION && (!staleFailures.contains(c.failure)
                            || System.nanoTime() - start > STALE_FAILURE_SETTLE_MILLIS * 1_000_000)) {
                        return FailureText.reason(c.failure);
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

    /** The failure texts of the components {@code pid} configures that failed to activate. */
    private Set<String> failures(String pid) {
        Set<String> failures = new HashSet<>();
        for (ComponentDescriptionDTO component : componentsOf(pid)) {
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(component)) {
                if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION && c.failure != null) {
                    failures.add(c.failure);
                }
            }
        }
        return failures;
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

    /** The user's settings in a configuration, values as text (how this command stores them). */
    private static Map<String, String> settingsOf(Dictionary<String, Object> properties) {
        Map<String, String> settings = new TreeMap<>();
        for (String key : settingKeys(properties)) {
            settings.put(key, String.valueOf(properties.get(key)));
        }
        return settings;
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
