package io.bigbuf.kmod.abi;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The five libc calls the backend needs, through JNA <em>direct mapping</em>: static native
 * methods bound once by {@link Native#register}, so a call is one JNI transition with primitive
 * arguments, without the reflection, proxy and argument boxing of interface mapping. Addresses
 * are passed as {@code long}. Every call declares {@link LastErrorException}: JNA clears errno
 * before the call and throws with errno set when the call fails, so no other native code can
 * overwrite errno in between.
 *
 * <p>{@code ioctl} and {@code open} are variadic in C; passing the optional argument as a fixed
 * one is the same call on the System V x86-64 and AAPCS64 (Linux) ABIs for integer and pointer
 * arguments.
 */
final class LibC {

    static final int O_RDWR = 0x2;
    static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x01;

    static {
        // Bound on first use of KmodDevice, not when the bundle starts.
        Native.register(LibC.class, NativeLibrary.getInstance("c"));
    }

    private LibC() {
    }

    static native int open(String path, int flags) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int ioctl(int fd, long request, long argument) throws LastErrorException;

    static native long mmap(long address, long length, int protection, int flags, int fd, long offset)
            throws LastErrorException;

    static native int munmap(long address, long length) throws LastErrorException;
}
