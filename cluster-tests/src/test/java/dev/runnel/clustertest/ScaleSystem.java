package dev.runnel.clustertest;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A cluster of controller and broker processes that {@link ScaleScenario} measures: Runnel
 * ({@link RunnelScaleSystem}) or Apache Kafka ({@link KafkaReferenceCluster}). Brokers are numbered
 * from 1; controller ids are the system's own. Closing it stops every process it started.
 */
interface ScaleSystem extends AutoCloseable {

    /** {@code Runnel} or {@code Kafka 4.4}, for the results. */
    String name();

    /** The processes and their JVM options, for the results. */
    String layout();

    /** Starts every process and waits until every broker serves Kafka clients and knows every broker. */
    void start(Duration deadline) throws Exception;

    List<Integer> brokerIds();

    /** The Kafka listener port of broker {@code id}. */
    int kafkaPort(int brokerId);

    /** A bootstrap list of every broker. */
    default String bootstrap() {
        return String.join(",", brokerIds().stream().map(id -> "127.0.0.1:" + kafkaPort(id)).toList());
    }

    /** The controller that decides now (Runnel: role ACTIVE; Kafka: the quorum leader). */
    int activeController() throws Exception;

    /** {@code kill -9} of controller {@code id}. */
    void killController(int id) throws Exception;

    /** Starts controller {@code id} again on its ports and data, and waits until it runs. */
    void restartController(int id, Duration deadline) throws Exception;

    /** {@code kill -9} of broker {@code id}. */
    void killBroker(int id) throws Exception;

    /** Starts broker {@code id} again on its ports and data; returns without waiting. */
    void restartBroker(int id) throws Exception;

    /** The live processes by name ({@code controller-1}, {@code broker-2}, ...) and their pids. */
    Map<String, Long> pids();

    /** The last lines of every process's log, for a failure message. */
    String logTails();
}
