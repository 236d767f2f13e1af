package io.bigbuf.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * A fresh {@link EmbeddedFelix} for every test: started before the test's {@code @BeforeEach}
 * methods with the shared-API runtime and the class's {@link FelixBundles}, in a storage directory
 * of its own; stopped and its storage deleted after the {@code @AfterEach} methods. Test and
 * lifecycle methods get it as a parameter:
 *
 * <pre>{@code
 * @ExtendWith(FelixExtension.class)
 * @FelixBundles(Components.MOCK_BUNDLE)
 * class SomeIT {
 *     @Test
 *     void works(EmbeddedFelix felix) { ... }
 * }
 * }</pre>
 */
public final class FelixExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(FelixExtension.class);
    private static final String FELIX = "felix";
    private static final String STORAGE = "storage";

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        String[] bundles = AnnotationSupport.findAnnotation(context.getRequiredTestClass(), FelixBundles.class)
                .map(FelixBundles::value)
                .orElseThrow(() -> new ExtensionConfigurationException(context.getRequiredTestClass().getName()
                        + " uses FelixExtension without @FelixBundles"));
        Path storage = Files.createTempDirectory("bigbuf-felix-");
        ExtensionContext.Store store = context.getStore(NAMESPACE);
        store.put(STORAGE, storage);
        store.put(FELIX, EmbeddedFelix.withSharedApi(storage, bundles));
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        ExtensionContext.Store store = context.getStore(NAMESPACE);
        EmbeddedFelix felix = store.remove(FELIX, EmbeddedFelix.class);
        Path storage = store.remove(STORAGE, Path.class);
        try {
            if (felix != null) {
                felix.close();
            }
        } finally {
            if (storage != null) {
                deleteTree(storage);
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedFelix.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        EmbeddedFelix felix = context.getStore(NAMESPACE).get(FELIX, EmbeddedFelix.class);
        if (felix == null) {
            throw new ExtensionConfigurationException("the framework runs for test and @BeforeEach/@AfterEach"
                    + " methods only, not for " + parameter.getDeclaringExecutable());
        }
        return felix;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
