package io.bigbuf.kmod.abi;

/**
 * The output fields of {@code BIGBUF_IOC_MAP}.
 *
 * @param mode    {@code BIGBUF_DMA_*}: what {@code devAddr} is
 * @param devAddr the address the device uses for the buffer's first byte
 */
public record KernelDeviceMapping(int mode, long devAddr) {
}
