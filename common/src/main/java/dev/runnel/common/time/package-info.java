/**
 * Time that tests can drive: {@link dev.runnel.common.time.Scheduler} for tasks that run later or
 * periodically (production: {@link dev.runnel.common.time.ExecutorScheduler}), and {@link
 * dev.runnel.common.time.Ticker} for deadlines, elapsed time and waits on the calling thread, and
 * {@link dev.runnel.common.time.SampledRate}, Kafka's rate over sampled windows (quotas, throttles).
 * Wall-clock time is a {@link java.time.Clock}. Services take these as beans instead of calling
 * {@code System.nanoTime()}, {@code Thread.sleep} or {@code Clock.systemUTC()}; the test fixtures'
 * {@code ManualClock} and {@code ManualScheduler} stand in for them. Depends on the JDK and SLF4J
 * only.
 */
package dev.runnel.common.time;
