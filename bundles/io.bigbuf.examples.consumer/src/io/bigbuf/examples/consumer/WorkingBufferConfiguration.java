package io.bigbuf.examples.consumer;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of {@link WorkingBufferConsumer}, PID {@value WorkingBufferConsumer#PID}; the build
 * generates its Metatype description ({@code OSGI-INF/metatype/}), which {@code bigbuf:config}
 * checks changes against.
 */
@ObjectClassDefinition(id = WorkingBufferConsumer.PID, name = "bigbuf example consumer",
        description = "The working buffer the example consumer keeps. Changing a value restarts the consumer:"
                + " it closes its buffer and takes a new one.")
public @interface WorkingBufferConfiguration {

    /** Size of the working buffer, e.g. {@code 1M}. */
    @AttributeDefinition(name = "Buffer size", description = "Size of the working buffer (e.g. 4096, 64K, 1M).")
    String buffer_size() default "1M";

    /** Device address width the buffer must respect, e.g. 32; 0 for no limit. */
    @AttributeDefinition(name = "Address bits", min = "0", max = "64",
            description = "Device address width the buffer must respect, e.g. 32; 0 for no limit.")
    int address_bits() default 0;
}
