import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.lang.model.SourceVersion;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * {@code ./bigbuf new-driver NAME [--dir DIR]}: a standalone driver bundle project from
 * {@code templates/driver/}, run as a single-file program ({@code java scripts/NewDriver.java}).
 *
 * <p>Every {@code @token@} in the template's file contents and paths is replaced: {@code driver.*}
 * by what NAME gives, any other token by the property, plugin or project version of the same name
 * in this repository's top {@code pom.xml}, so the generated pom repeats no version this
 * repository owns. An unknown token is an error. The project is written to a temporary sibling
 * directory and moved into place at the end: an error leaves nothing behind. The Maven wrapper of
 * this repository ({@code mvnw}, {@code .mvn/}) is copied along.
 */
public final class NewDriver {

    /** Lowercase Java package segments, which are also a valid Bundle-SymbolicName and artifactId. */
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*");
    /** Longest NAME: it is also the label of the driver's buffer, at most 64 characters. */
    private static final int MAX_NAME = 64;
    /** Lowercase start: {@code @Component} and other annotations in the Java sources never match. */
    private static final Pattern TOKEN = Pattern.compile("@([a-z][a-z0-9.-]*)@");
    private static final List<String> WRAPPER = List.of("mvnw", "mvnw.cmd", ".mvn/wrapper/maven-wrapper.properties",
            ".mvn/jvm.config");
    private static final String USAGE = "usage: ./bigbuf new-driver NAME [--dir DIR]";

    private NewDriver() {
    }

    /** A one-line error for the user, exit status 2. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    public static void main(String[] args) {
        try {
            Path created = run(args);
            System.out.println("bigbuf: created " + created + "; build and test it with: cd " + created
                    + " && ./mvnw verify (see its README.md)");
        } catch (UsageException e) {
            System.err.println("bigbuf: new-driver: " + e.getMessage());
            System.exit(2);
        } catch (IOException | RuntimeException e) {
            System.err.println("bigbuf: new-driver failed: " + e);
            System.exit(1);
        }
    }

    static Path run(String[] args) throws UsageException, IOException {
        Path root = null;
        Path dir = null;
        String name = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(value(args, ++i));
                case "--dir" -> dir = Path.of(value(args, ++i));
                default -> {
                    if (args[i].startsWith("-") || name != null) {
                        throw new UsageException("unexpected argument '" + args[i] + "' (" + USAGE + ")");
                    }
                    name = args[i];
                }
            }
        }
        if (name == null) {
            throw new UsageException("no NAME given (" + USAGE + ")");
        }
        checkName(name);
        if (root == null) {
            throw new UsageException("--root (the bigbuf checkout) is missing");
        }
        Path target = (dir == null ? Path.of(name) : dir).toAbsolutePath().normalize();
        if (Files.exists(target)) {
            throw new UsageException(target + " already exists; choose another --dir or remove it");
        }
        Map<String, String> tokens = tokens(root, name);
        Path template = root.resolve("templates/driver");
        Files.createDirectories(target.getParent());
        // Not createTempDirectory: its mode is 0700, the project's should follow the umask.
        Path staging = Files.createDirectory(target.resolveSibling("." + target.getFileName() + "-"
                + ProcessHandle.current().pid()));
        try {
            copyTemplate(template, staging, tokens);
            for (String file : WRAPPER) {
                Path to = staging.resolve(file);
                Files.createDirectories(to.getParent());
                Files.copy(root.resolve(file), to, StandardCopyOption.COPY_ATTRIBUTES);
            }
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                throw new UsageException(target + " already exists; choose another --dir or remove it");
            }
        } finally {
            deleteRecursively(staging);
        }
        return target;
    }

    /** @throws UsageException NAME is no lowercase Java package name of at most 64 characters */
    static void checkName(String name) throws UsageException {
        if (!NAME.matcher(name).matches() || !SourceVersion.isName(name) || name.length() > MAX_NAME) {
            throw new UsageException("'" + name + "' is not a valid driver name: use lowercase Java package segments"
                    + " separated by dots (letters, digits, '_'; no Java keyword; at most " + MAX_NAME
                    + " characters), e.g. com.example.nic");
        }
    }

    /** {@code com.example.fpga_dma} gives {@code FpgaDmaDriver}. */
    static String className(String name) {
        StringBuilder sb = new StringBuilder();
        for (String part : name.substring(name.lastIndexOf('.') + 1).split("_")) {
            if (!part.isEmpty()) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        if (sb.isEmpty() || !Character.isJavaIdentifierStart(sb.charAt(0))) {
            sb.insert(0, "Bigbuf");
        }
        return sb.append("Driver").toString();
    }

    /** What the tokens stand for: NAME's forms, then the top pom's properties, plugin versions and version. */
    static Map<String, String> tokens(Path root, String name) throws IOException {
        Map<String, String> tokens = new LinkedHashMap<>();
        tokens.put("driver.name", name);
        tokens.put("driver.package", name);
        tokens.put("driver.path", name.replace('.', '/'));
        tokens.put("driver.class", className(name));
        Element project;
        try {
            project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(root.resolve("pom.xml").toFile())
                    .getDocumentElement();
        } catch (Exception e) {
            throw new IOException("cannot read " + root.resolve("pom.xml") + ": " + e.getMessage(), e);
        }
        Map<String, String> pom = new LinkedHashMap<>();
        pom.put("project.version", text(child(project, "version")));
        for (Element property : children(child(project, "properties"))) {
            pom.put(property.getTagName(), text(property));
        }
        Element build = child(project, "build");
        for (Element plugin : children(child(child(build, "pluginManagement"), "plugins"))) {
            Element version = child(plugin, "version");
            if (version != null) {
                pom.put(text(child(plugin, "artifactId")), text(version));
            }
        }
        for (Map.Entry<String, String> e : pom.entrySet()) {
            tokens.put(e.getKey(), interpolate(e.getValue(), pom));
        }
        return tokens;
    }

    private static String interpolate(String value, Map<String, String> properties) {
        Matcher m = Pattern.compile("\\$\\{([^}]+)}").matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String replacement = properties.get(m.group(1));
            if (replacement == null) {
                throw new IllegalStateException("pom.xml: ${" + m.group(1) + "} is not a property of the top pom");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(interpolate(replacement, properties)));
        }
        return m.appendTail(sb).toString();
    }

    private static void copyTemplate(Path template, Path target, Map<String, String> tokens) throws IOException {
        if (!Files.isDirectory(template)) {
            throw new IOException("no template at " + template);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(template)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path file : files) {
            String relative = template.relativize(file).toString();
            Path to = target.resolve(substitute(relative, tokens, relative));
            Files.createDirectories(to.getParent());
            String content = Files.readString(file, StandardCharsets.UTF_8);
            Files.writeString(to, substitute(content, tokens, relative), StandardCharsets.UTF_8);
        }
    }

    static String substitute(String text, Map<String, String> tokens, String where) {
        Matcher m = TOKEN.matcher(text);
        StringBuilder sb = new StringBuilder();
        List<String> unknown = new ArrayList<>();
        while (m.find()) {
            String value = tokens.get(m.group(1));
            if (value == null) {
                unknown.add(m.group());
                value = m.group();
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        if (!unknown.isEmpty()) {
            throw new IllegalStateException("templates/driver/" + where + ": " + unknown
                    + " is neither driver.* nor a property, plugin or version of the top pom.xml");
        }
        return m.appendTail(sb).toString();
    }

    private static String value(String[] args, int index) throws UsageException {
        if (index >= args.length) {
            throw new UsageException(args[index - 1] + " needs a value (" + USAGE + ")");
        }
        return args[index];
    }

    private static Element child(Element parent, String name) {
        for (Element e : children(parent)) {
            if (e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static List<Element> children(Element parent) {
        List<Element> elements = new ArrayList<>();
        if (parent != null) {
            for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e) {
                    elements.add(e);
                }
            }
        }
        return elements;
    }

    private static String text(Element e) {
        return e == null ? "" : e.getTextContent().trim();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
