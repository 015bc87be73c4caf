/**
 * What ties a service's process to whoever started it with port 0: the {@link
 * dev.runnel.common.process.PortFile} it reports its bound ports in, and the {@link
 * dev.runnel.common.process.ParentWatchdog} that ends it when that parent is gone. Plain Java, so
 * that a JVM Runnel does not build (Apache Kafka, a test's helper) can run under the watchdog too
 * ({@link dev.runnel.common.process.WatchedMain}).
 */
package dev.runnel.common.process;
