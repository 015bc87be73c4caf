/**
 * Benchmark entry points: {@link dev.runnel.bench.StorageBench} runs the storage JMH benchmarks (by
 * name, through JMH's runner) and prints a summary, {@link dev.runnel.bench.GatewayLoad} measures
 * produce throughput through the gateway against the brokers directly. Depends on JMH and {@code
 * kafka-clients}; nothing depends on it.
 */
package dev.runnel.bench;
