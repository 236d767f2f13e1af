package io.bigbuf.shell;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.osgi.framework.Bundle;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * The bigbuf configurations there are, as the bundles' Metatype describes them
 * ({@code OSGI-INF/metatype/}, generated from each configuration's {@code @ObjectClassDefinition}):
 * which PIDs exist, which keys each has and what their values look like. {@code bigbuf:config}
 * checks a change against it before storing anything.
 */
final class ConfigSchema {

    /** PIDs of bigbuf's own configurations; other PIDs are none of the shell's business. */
    static final String PID_PREFIX = "io.bigbuf.";

    private final NavigableMap<String, ObjectClassDefinition> byPid;

    ConfigSchema(Map<String, ObjectClassDefinition> byPid) {
        this.byPid = Collections.unmodifiableNavigableMap(new TreeMap<>(byPid));
    }

    /** The bigbuf PIDs the installed bundles describe. */
    static ConfigSchema of(MetaTypeService metatype, Bundle... bundles) {
        Map<String, ObjectClassDefinition> byPid = new TreeMap<>();
        for (Bundle bundle : bundles) {
            if (bundle.getState() == Bundle.UNINSTALLED) {
                continue;
            }
            MetaTypeInformation info = metatype.getMetaTypeInformation(bundle);
            if (info == null) {
                continue;
            }
            for (String pid : info.getPids()) {
                if (pid.startsWith(PID_PREFIX)) {
                    byPid.putIfAbsent(pid, info.getObjectClassDefinition(pid, null));
                }
            }
        }
        return new ConfigSchema(byPid);
    }

    boolean knows(String pid) {
        return byPid.containsKey(pid);
    }

    /** @throws IllegalArgumentException one line naming the PIDs there are */
    void requireKnown(String pid) {
        if (!knows(pid)) {
            throw new IllegalArgumentException(pid + ": unknown PID; "
                    + (byPid.isEmpty() ? "no installed bundle describes a bigbuf configuration"
                            : "the bigbuf PIDs are " + String.join(", ", byPid.keySet())));
        }
    }

    /**
     * The settings as they are to be stored, in the given order, each checked against its
     * attribute.
     *
     * @throws IllegalArgumentException one line, prefixed with the PID: an unknown PID, an
     *                                  unknown key (naming the known ones) or a value that does
     *                                  not fit its attribute
     */
    Map<String, String> check(String pid, Map<String, String> settings) {
        requireKnown(pid);
        Map<String, AttributeDefinition> attributes = attributes(pid);
        Map<String, String> checked = new LinkedHashMap<>();
        for (Map.Entry<String, String> setting : settings.entrySet()) {
            AttributeDefinition ad = attributes.get(setting.getKey());
            if (ad == null) {
                throw new IllegalArgumentException(pid + ": unknown key '" + setting.getKey() + "'; the keys are "
                        + String.join(", ", attributes.keySet()));
            }
            try {
                checked.put(setting.getKey(), AttributeCheck.check(ad, setting.getValue()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(pid + ": " + e.getMessage(), e);
            }
        }
        return checked;
    }

    /** The attributes of a known PID by id, sorted. */
    private Map<String, AttributeDefinition> attributes(String pid) {
        AttributeDefinition[] ads = byPid.get(pid).getAttributeDefinitions(ObjectClassDefinition.ALL);
        return ads == null ? Map.of() : Arrays.stream(ads).collect(Collectors.toMap(AttributeDefinition::getID,
                ad -> ad, (a, b) -> a, TreeMap::new));
    }
}
