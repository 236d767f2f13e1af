package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.it.E2eGuest.ModuleStats;
import io.bigbuf.it.E2eGuest.Result;
import io.bigbuf.testkit.EmbeddedFelix;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A JVM that dies by SIGKILL while it holds buffers gives every page back: the kernel unmaps the
 * dead process's mappings and the module frees what they held. Also checks the backend's
 * {@code BIGBUF_IOC_STATS} struct mirror against sysfs on the real module.
 */
class KillNineE2E {

    private static final int BUFFERS = 3;
    private static final long SIZE = 8L << 20;

    @BeforeEach
    void load() {
        E2eGuest.ensureLoaded();
    }

    @AfterEach
    void unload() {
        Result r = E2eGuest.rmmod();
        assertEquals(0, r.status(), () -> "rmmod after the holder died: " + r.output());
    }

    @Test
    void killDashNineWhileHoldingBuffersReturnsEverything() throws Exception {
        ModuleStats before = ModuleStats.read();
        String classPath = System.getProperty("java.class.path") + File.pathSeparator
                + EmbeddedFelix.BUNDLES.resolve("io.bigbuf.kmod.jar") + File.pathSeparator
                + EmbeddedFelix.BUNDLES.resolve("jna.jar");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Xmx32m", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-cp", classPath,
                E2eBufferHolder.class.getName(), E2eGuest.DEVICE.toString(), Integer.toString(BUFFERS), "8M"));
        Process holder = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            String stats = null;
            String holding = null;
            List<String> seen = new ArrayList<>();
            for (String line; holding == null && (line = out.readLine()) != null;) {
                seen.add(line);
                if (line.startsWith("STATS ")) {
                    stats = line;
                } else if (line.startsWith("HOLDING ")) {
                    holding = line;
                }
            }
            assertNotNull(holding, () -> "the holder never held its buffers:\n" + String.join("\n", seen));
            assertEquals("HOLDING " + BUFFERS + " " + BUFFERS * SIZE, holding);

            ModuleStats held = ModuleStats.read();
            assertEquals(before.buffers() + BUFFERS, held.buffers());
            assertEquals(before.bytesHeld() + BUFFERS * SIZE, held.bytesHeld());
            assertEquals("STATS " + held.bytesHeld() + " " + held.buffers() + " " + held.allocations() + " "
                    + held.frees(), stats, "BIGBUF_IOC_STATS as the Java mirror reads it vs. sysfs");
            E2eGuest.log("kill -9: holder pid %d holds %d x 8 MiB; module %s", holder.pid(), BUFFERS, held);

            holder.destroyForcibly(); // SIGKILL on Linux
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS), "the holder did not die");
            assertEquals(128 + 9, holder.exitValue(), "killed by SIGKILL");
        } finally {
            holder.destroyForcibly();
        }
        ModuleStats after = E2eGuest.await(() -> {
            ModuleStats s = ModuleStats.read();
            return s.buffers() == before.buffers() ? s : null;
        }, "the module to get the killed holder's buffers back");
        assertEquals(before.bytesHeld(), after.bytesHeld());
        assertEquals(before.frees() + BUFFERS, after.frees());
        E2eGuest.log("kill -9: everything returned, module %s", after);
    }
}
