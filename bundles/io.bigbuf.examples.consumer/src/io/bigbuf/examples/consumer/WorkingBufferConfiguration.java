package io.bigbuf.examples.consumer;

/** Configuration of {@link WorkingBufferConsumer}, PID {@value WorkingBufferConsumer#PID}. */
public @interface WorkingBufferConfiguration {

    /** Size of the working buffer, e.g. {@code 1M}. */
    String buffer_size() default "1M";

    /** Device address width the buffer must respect, e.g. 32; 0 for no limit. */
    int address_bits() default 0;
}
