package io.bigbuf.api;

import java.util.Objects;

/**
 * The OSGi bundle that allocated a {@link DmaBuffer} ({@link DmaBuffer#owner()}). Since 1.4.
 *
 * <p>A snapshot taken at allocation: the bundle may have been updated or uninstalled since, so a
 * tool that wants the live {@code org.osgi.framework.Bundle} looks it up by {@link #bundleId()}.
 *
 * @param symbolicName the bundle's {@code Bundle-SymbolicName}, e.g. {@code io.bigbuf.shell}
 * @param version      its {@code Bundle-Version}, e.g. {@code 1.0.0.202612030900}
 * @param bundleId     its id in the framework, &gt;= 0
 */
public record BufferOwner(String symbolicName, String version, long bundleId) {

    /**
     * An owner as the framework names it.
     *
     * @throws NullPointerException  {@code symbolicName} or {@code version} is null
     * @throws IllegalArgumentException {@code bundleId} is negative
     */
    public BufferOwner {
        Objects.requireNonNull(symbolicName, "symbolicName");
        Objects.requireNonNull(version, "version");
        if (bundleId < 0) {
            throw new IllegalArgumentException("bundle id must be >= 0, got " + bundleId);
        }
    }

    /**
     * How the shell ({@code bigbuf:list}) and the web console show the owner.
     *
     * @return {@code "symbolic.name version [bundle id]"}, e.g. {@code "io.bigbuf.shell 1.0.0 [7]"}
     */
    @Override
    public String toString() {
        return symbolicName + " " + version + " [" + bundleId + "]";
    }
}
