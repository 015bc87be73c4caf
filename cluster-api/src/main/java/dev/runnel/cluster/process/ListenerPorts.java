package dev.runnel.cluster.process;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Several ports a service listens on whose names are known only once it runs (a broker's named
 * Kafka listeners), as a bean: the {@link PortFileWriter} reports each under its name.
 *
 * @param ports the bound ports by name ({@code kafka.INTERNAL}), asked for once the service is ready
 */
public record ListenerPorts(Supplier<Map<String, Integer>> ports) {
}
