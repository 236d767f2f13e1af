package io.bigbuf.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * {@code bigbuf:config}'s check before it stores anything: PIDs and keys the Metatype describes,
 * values that read as their attribute's type (sizes, PCI addresses, numbers, options, limits).
 */
class ConfigSchemaTest {

    /** An attribute as Felix Metatype gives it: validate answers "" or an untranslated key. */
    record Ad(String id, int type, String[] options, Long min, Long max) implements AttributeDefinition {
        static Ad string(String id) {
            return new Ad(id, STRING, null, null, null);
        }

        @Override public String getName() { return id; }
        @Override public String getID() { return id; }
        @Override public String getDescription() { return "test attribute"; }
        @Override public int getCardinality() { return 0; }
        @Override public int getType() { return type; }
        @Override public String[] getOptionValues() { return options; }
        @Override public String[] getOptionLabels() { return options; }
        @Override public String[] getDefaultValue() { return null; }

        @Override
        public String validate(String value) {
            if (min != null && Long.parseLong(value) < min) {
                return "%less than minimum";
            }
            if (max != null && Long.parseLong(value) > max) {
                return "%greater than maximum";
            }
            return "";
        }
    }

    private static ObjectClassDefinition ocd(String pid, AttributeDefinition... ads) {
        return new ObjectClassDefinition() {
            @Override public String getName() { return pid; }
            @Override public String getID() { return pid; }
            @Override public String getDescription() { return ""; }
            @Override public AttributeDefinition[] getAttributeDefinitions(int filter) { return ads; }
            @Override public java.io.InputStream getIcon(int size) { return null; }
        };
    }

    private final ConfigSchema schema = new ConfigSchema(Map.of(
            "io.bigbuf.mock", ocd("io.bigbuf.mock", Ad.string("memory.size"), Ad.string("memory.base"),
                    Ad.string("pci.devices"),
                    new Ad("fragmentation.pattern", AttributeDefinition.STRING, new String[] {"none", "random", "striped"},
                            null, null),
                    new Ad("fragmentation.percent", AttributeDefinition.INTEGER, null, 0L, 100L),
                    new Ad("fragmentation.seed", AttributeDefinition.LONG, null, null, null)),
            "io.bigbuf.kmod", ocd("io.bigbuf.kmod", new Ad("poll.interval.ms", AttributeDefinition.LONG, null, 10L, null))));

    private Map<String, String> check(String pid, String... keyValues) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            settings.put(keyValues[i], keyValues[i + 1]);
        }
        return schema.check(pid, settings);
    }

    @Test
    void goodValuesPassAndOptionsTakeTheirOwnSpelling() {
        assertEquals(Map.of("memory.size", "64M", "memory.base", "0x100000000", "fragmentation.pattern", "striped",
                "fragmentation.percent", "100", "pci.devices", "0000:00:04.0, 0000:00:05.0"),
                check("io.bigbuf.mock", "memory.size", "64M", "memory.base", "0x100000000", "fragmentation.pattern",
                        "Striped", "fragmentation.percent", "100", "pci.devices", "0000:00:04.0, 0000:00:05.0"));
    }

    @Test
    void unknownPidNamesTheKnownOnes() {
        assertMessage(() -> check("io.bigbuf.mokc", "memory.size", "64M"),
                "io.bigbuf.mokc: unknown PID; the bigbuf PIDs are io.bigbuf.kmod, io.bigbuf.mock");
    }

    @Test
    void unknownKeyNamesTheKnownOnes() {
        assertMessage(() -> check("io.bigbuf.mock", "memory.sise", "64M"),
                "io.bigbuf.mock: unknown key 'memory.sise'; the keys are fragmentation.pattern, fragmentation.percent,"
                        + " fragmentation.seed, memory.base, memory.size, pci.devices");
    }

    @Test
    void valuesThatDoNotReadAsTheirTypeAreOneLine() {
        assertMessage(() -> check("io.bigbuf.mock", "memory.size", "lots"),
                "io.bigbuf.mock: memory.size: 'lots' is not a size; use e.g. 4096, 64K, 64M, 1G");
        assertMessage(() -> check("io.bigbuf.mock", "memory.base", "-4M"),
                "io.bigbuf.mock: memory.base: '-4M' is negative; sizes are positive byte counts");
        assertMessage(() -> check("io.bigbuf.mock", "fragmentation.percent", "abc"),
                "io.bigbuf.mock: fragmentation.percent: 'abc' is not a whole number");
        assertMessage(() -> check("io.bigbuf.mock", "fragmentation.seed", "1.5"),
                "io.bigbuf.mock: fragmentation.seed: '1.5' is not a whole number");
        assertMessage(() -> check("io.bigbuf.mock", "fragmentation.pattern", "stripes"),
                "io.bigbuf.mock: fragmentation.pattern: 'stripes' is not one of none, random, striped");
        assertMessage(() -> check("io.bigbuf.mock", "pci.devices", "0000:00:04.0,zz"),
                "io.bigbuf.mock: pci.devices: '0000:00:04.0,zz' contains 'zz', which is not a PCI address like 0000:00:04.0");
    }

    @Test
    void limitsAreNamed() {
        assertMessage(() -> check("io.bigbuf.mock", "fragmentation.percent", "101"),
                "io.bigbuf.mock: fragmentation.percent: '101' is greater than the maximum 100");
        assertMessage(() -> check("io.bigbuf.mock", "fragmentation.percent", "-1"),
                "io.bigbuf.mock: fragmentation.percent: '-1' is less than the minimum 0");
        assertMessage(() -> check("io.bigbuf.kmod", "poll.interval.ms", "5"),
                "io.bigbuf.kmod: poll.interval.ms: '5' is less than the minimum 10");
    }

    private static void assertMessage(Executable call, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
