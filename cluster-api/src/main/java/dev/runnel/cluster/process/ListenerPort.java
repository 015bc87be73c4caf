package dev.runnel.cluster.process;

import java.util.function.IntSupplier;

/**
 * A port a service listens on besides its HTTP one (a broker's Kafka listener), as a bean: the
 * {@link PortFileWriter} reports it under {@code name}.
 *
 * @param name the key in the port file ({@code kafka})
 * @param port the bound port, asked for once the service is ready
 */
public record ListenerPort(String name, IntSupplier port) {
}
