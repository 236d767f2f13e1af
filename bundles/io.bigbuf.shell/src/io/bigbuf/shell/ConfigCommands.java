package io.bigbuf.shell;

import java.io.IOException;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code bigbuf:config}: shows and changes the ConfigAdmin configuration of bigbuf components
 * (PIDs {@code io.bigbuf.*}, e.g. {@code io.bigbuf.mock}) from the prompt, so that a simulated
 * memory layout or failure injection can be tried without another console. Values are stored as
 * strings; the components' property types convert them (DS coercion).
 */
@Component(service = ConfigCommands.class, property = {
    "osgi.command.scope=bigbuf",
    "osgi.command.function=config"
})
public class ConfigCommands {

    private static final String BIGBUF_PID_PREFIX = "io.bigbuf.";

    private final ConfigurationAdmin configurationAdmin;

    @Activate
    public ConfigCommands(@Reference ConfigurationAdmin configurationAdmin) {
        this.configurationAdmin = configurationAdmin;
    }

    @Descriptor("show or change a bigbuf configuration, e.g. bigbuf:config io.bigbuf.mock memory.size=64M")
    public String config(
            @Descriptor("delete the configuration: the component falls back to its defaults")
            @Parameter(names = {"--reset"}, presentValue = "true", absentValue = "false") boolean reset,
            @Descriptor("configuration PID, e.g. io.bigbuf.mock") String pid,
            @Descriptor("key=value settings to add or change") String... settings) throws IOException {
        if (!pid.startsWith(BIGBUF_PID_PREFIX)) {
            throw new IllegalArgumentException("'" + pid + "' is not a bigbuf PID; use e.g. io.bigbuf.mock");
        }
        // "?": a multi-location binding, so the configuration reaches the component in any bundle.
        Configuration configuration = configurationAdmin.getConfiguration(pid, "?");
        if (reset) {
            if (settings.length > 0) {
                throw new IllegalArgumentException("--reset takes no key=value settings");
            }
            configuration.delete();
            return pid + ": configuration deleted, defaults apply";
        }
        Dictionary<String, Object> properties = configuration.getProperties();
        if (settings.length == 0) {
            return describe(pid, properties);
        }
        Dictionary<String, Object> updated = properties == null ? new Hashtable<>() : properties;
        for (String setting : settings) {
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + setting + "' is not key=value, e.g. memory.size=64M");
            }
            updated.put(setting.substring(0, eq).trim(), setting.substring(eq + 1).trim());
        }
        configuration.update(updated);
        return describe(pid, updated);
    }

    private static String describe(String pid, Dictionary<String, Object> properties) {
        if (properties == null) {
            return pid + ": no configuration, defaults apply";
        }
        TreeMap<String, Object> sorted = new TreeMap<>();
        for (String key : Collections.list(properties.keys())) {
            if (!key.startsWith("service.") && !key.startsWith("felix.")) {
                sorted.put(key, properties.get(key));
            }
        }
        return pid + ": " + sorted.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "));
    }
}
