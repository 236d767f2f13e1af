package io.bigbuf.kmod;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The five libc calls the backend needs, through JNA interface mapping. Every call declares
 * {@link LastErrorException}: JNA clears errno before the call and throws with errno set when the
 * call fails, so no other native code can overwrite errno in between.
 *
 * <p>{@code ioctl} and {@code open} are variadic in C; passing the optional argument as a fixed
 * one is the same call on the System V x86-64 ABI for integer and pointer arguments.
 */
interface LibC extends Library {

    /** Loaded on first use of {@link KmodDevice}, not when the bundle starts. */
    LibC INSTANCE = Native.load("c", LibC.class);

    int O_RDWR = 0x2;
    int O_CLOEXEC = 0x80000;
    int PROT_READ = 0x1;
    int PROT_WRITE = 0x2;
    int MAP_SHARED = 0x01;

    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int ioctl(int fd, long request, Pointer argument) throws LastErrorException;

    Pointer mmap(Pointer address, long length, int protection, int flags, int fd, long offset)
            throws LastErrorException;

    int munmap(Pointer address, long length) throws LastErrorException;
}
