/**
 * The broker application: {@code BrokerApplication} and the Spring configuration that wires the
 * packages below it ({@code BrokerConfiguration}: time, the scheduler, storage, replication,
 * cluster membership; {@code KafkaListenerConfiguration}: the API handlers, the request-handler
 * threads and the listener; {@code GroupCoordinatorConfiguration}: the group coordinator and its
 * log on {@code __consumer_offsets}). Every component gets its collaborators here, including the
 * one {@link java.time.Clock}, {@link dev.runnel.common.time.Ticker} and
 * {@link dev.runnel.common.time.Scheduler}; nothing below reads the system clock or sleeps on
 * its own. The allowed dependencies between the packages are the table in {@code BrokerLayersTest}.
 */
package dev.runnel.broker;
