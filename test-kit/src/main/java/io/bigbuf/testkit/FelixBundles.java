package io.bigbuf.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The bundles {@link FelixExtension} installs and starts, after the shared-API runtime
 * ({@link EmbeddedFelix#runtime()}): jar names in {@link EmbeddedFelix#BUNDLES} without {@code .jar}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface FelixBundles {
    String[] value();
}
