package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./bigbuf run --web} in a real browser: the runtime as a process (the launcher jar of
 * {@code launcher/target/runtime}) with the web console on a free loopback port, two buffers
 * allocated at its {@code g!} prompt, then headless Chromium loads the bigbuf page: its buffer
 * table must match {@code bigbuf:list}, the SVG cells of the 64 MiB buffer's blocks must be in
 * state BUFFER, and the screenshot ({@code target/web-console.png}) must be a PNG of the window's
 * size showing the BUFFER colour. Chromium is Debian's {@code chromium} ({@code scripts/install-browser});
 * without it the test is skipped locally, and fails under CI or with {@code BIGBUF_REQUIRE_BROWSER=1}.
 */
class WebConsoleBrowserIT {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Path RUNTIME = REPO.resolve("launcher/target/runtime");
    private static final int WIDTH = 1280;
    private static final int HEIGHT = 2400;
    /** ConsolePage.COLOURS of BUFFER. */
    private static final int BUFFER_RGB = 0x1f5fbf;

    @Test
    void thePageShowsTheBuffersOfBigbufListAndTheirBlocksInTheMemoryMap(@TempDir Path tmp) throws Exception {
        Path chromium = chromium();
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmFlags());
        command.addAll(List.of("-jar", RUNTIME.resolve("bigbuf-launcher.jar").toString(), "--web=" + port,
                "--storage", tmp.resolve("felix").toString()));
        Process runtime = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder console = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> copy(runtime.getInputStream(), console));
        try {
            OutputStream in = runtime.getOutputStream();
            in.write("bigbuf:alloc 64M\nbigbuf:alloc --label web-test 4M\nbigbuf:list\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            String list = awaitList(console, runtime);
            String url = "http://127.0.0.1:" + port + "/system/console/bigbuf";
            assertTrue(console.toString().contains("bigbuf: web console at " + url), console::toString);
            awaitPage(url);

            String dom = run(tmp, chromium.toString(), "--headless", "--disable-gpu", "--no-sandbox",
                    "--user-data-dir=" + tmp.resolve("profile"), "--dump-dom", withCredentials(url));
            assertTrue(dom.contains("id=\"memory-map\""), dom);
            // Every buffer of bigbuf:list is a row of the table: id, size, physical start and end, label, owner.
            Pattern row = Pattern.compile("^\\s+(\\d+)\\s+(\\d+ \\w+)\\s+(0x\\p{XDigit}+)\\s+(0x\\p{XDigit}+)"
                    + "\\s+(\\S+ \\S+ \\[\\d+\\])\\s+(\\S+)$");
            long bufferStart = -1;
            int rows = 0;
            for (String line : list.lines().toList()) {
                Matcher m = row.matcher(line);
                if (!m.matches()) {
                    continue;
                }
                rows++;
                // The console's scripts add classes to the rows (odd/even striping): proof that they ran.
                Pattern expected = Pattern.compile(Pattern.quote("<tr data-id=\"" + m.group(1) + "\"") + " class=\"[^\"]*\">"
                        + Pattern.quote("<td>" + m.group(1) + "</td><td>" + m.group(2) + "</td><td>" + m.group(3) + "</td><td>"
                        + m.group(4) + "</td><td></td><td>" + m.group(6) + "</td><td>" + m.group(5) + "</td></tr>"));
                assertTrue(expected.matcher(dom).find(), "no row " + expected + " in\n" + dom);
                // The example's working buffer is its own; the shell allocated the other two.
                String owner = m.group(6).equals("example-consumer") ? "io.bigbuf.examples.consumer " : "io.bigbuf.shell ";
                assertTrue(m.group(5).startsWith(owner), "buffer #" + m.group(1) + " of " + m.group(5) + "\n" + list);
                if (m.group(2).equals("64 MiB")) {
                    bufferStart = Long.decode(m.group(3));
                }
            }
            assertEquals(3, rows, "bigbuf:list: the consumer's buffer and the two of this test\n" + list);
            assertEquals(3, count(dom, "<tr data-id="), dom);
            // The 64 MiB buffer covers 16 blocks of 4 MiB, each drawn in state BUFFER.
            for (long b = bufferStart >> 22; b < (bufferStart + (64L << 20)) >> 22; b++) {
                assertTrue(Pattern.compile("<rect[^>]*data-block=\"" + b + "\"[^>]*data-state=\"BUFFER\"").matcher(dom).find(),
                        "block " + b + " of the buffer at 0x" + Long.toHexString(bufferStart) + " is not BUFFER");
            }
            assertEquals(2048, count(dom, "<rect x="), "8 GiB in 4 MiB blocks");

            Path png = REPO.resolve("tests/target/web-console.png");
            Files.deleteIfExists(png);
            run(tmp, chromium.toString(), "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                    "--user-data-dir=" + tmp.resolve("profile"), "--screenshot=" + png, "--window-size=" + WIDTH + "," + HEIGHT,
                    withCredentials(url));
            BufferedImage image = ImageIO.read(png.toFile());
            assertTrue(image != null, png + " is not a PNG");
            assertEquals(WIDTH, image.getWidth());
            assertEquals(HEIGHT, image.getHeight());
            int bufferPixels = 0;
            for (int y = 0; y < HEIGHT; y++) {
                for (int x = 0; x < WIDTH; x++) {
                    if ((image.getRGB(x, y) & 0xffffff) == BUFFER_RGB) {
                        bufferPixels++;
                    }
                }
            }
            // 17+ cells of 10 x 10 px (the 64 MiB and 4 MiB buffers, the consumer's); allow for edges.
            assertTrue(bufferPixels >= 16 * 64, "only " + bufferPixels + " pixels of the BUFFER colour in " + png);
        } finally {
            try {
                runtime.getOutputStream().write("exit 0\n".getBytes(StandardCharsets.UTF_8));
                runtime.getOutputStream().close();
            } catch (IOException gone) {
                // already exited
            }
            if (!runtime.waitFor(30, TimeUnit.SECONDS)) {
                runtime.destroyForcibly();
            }
            reader.join(5_000);
        }
    }

    private static Path chromium() {
        for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        String why = "no headless Chromium (/usr/bin/chromium); install it with scripts/install-browser";
        if ("1".equals(System.getenv("BIGBUF_REQUIRE_BROWSER")) || "true".equals(System.getenv("CI"))) {
            fail(why);
        }
        Assumptions.abort(why);
        return null;
    }

    private static List<String> jvmFlags() throws Exception {
        Process p = new ProcessBuilder("bash", REPO.resolve("scripts/java-env").toString(), "flags")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    private static String withCredentials(String url) {
        return url.replace("http://", "http://admin:admin@");
    }

    /** The output of bigbuf:list at the prompt, once it is complete. */
    private static String awaitList(StringBuilder console, Process runtime) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String out;
            synchronized (console) {
                out = console.toString();
            }
            int header = out.indexOf("PHYS-START");
            if (header >= 0 && out.indexOf("web-test", header) >= 0) {
                return out.substring(out.lastIndexOf('\n', header) + 1);
            }
            if (!runtime.isAlive()) {
                fail("the runtime exited: " + out);
            }
            Thread.sleep(100);
        }
        synchronized (console) {
            return fail("no bigbuf:list output within 60 s: " + console);
        }
    }

    private static void awaitPage(String url) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Authorization",
                "Basic " + Base64.getEncoder().encodeToString("admin:admin".getBytes(StandardCharsets.UTF_8))).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "nothing";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("memory-map")) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        fail(url + " did not serve the bigbuf page within 60 s: " + last);
    }

    private static String run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(dir.resolve("chromium.log").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 120 s");
        }
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + ": " + readLog(dir));
        return out;
    }

    private static String readLog(Path dir) {
        try {
            return Files.readString(dir.resolve("chromium.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static void copy(InputStream from, StringBuilder to) {
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = from.read(buffer)) > 0;) {
                synchronized (to) {
                    to.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }
}
