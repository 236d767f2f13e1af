package io.bigbuf.benchmarks;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/** Downcall handles for the C side: libc memset/memcpy and bw_sum64 from native/bwhelper.c. */
final class Native {

    /** Path of libbwhelper.so, built by benchmarks/jmh/run-java. */
    static final String HELPER_PROPERTY = "bigbuf.bench.helper";

    static final MethodHandle MEMSET;
    static final MethodHandle MEMCPY;
    static final MethodHandle SUM64;

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MEMSET = linker.downcallHandle(libc.find("memset").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_LONG));
        MEMCPY = linker.downcallHandle(libc.find("memcpy").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG));
        String helper = System.getProperty(HELPER_PROPERTY);
        if (helper == null) {
            throw new IllegalStateException("-D" + HELPER_PROPERTY + "=<path of libbwhelper.so> is not set");
        }
        SymbolLookup lib = SymbolLookup.libraryLookup(Path.of(helper), Arena.global());
        SUM64 = linker.downcallHandle(lib.find("bw_sum64").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    private Native() {
    }
}
