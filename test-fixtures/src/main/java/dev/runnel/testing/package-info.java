/**
 * Test support every module's tests share: {@link dev.runnel.testing.ManualClock} (a {@link
 * java.time.Clock} and a {@link dev.runnel.common.time.Ticker} the test moves), {@link
 * dev.runnel.testing.ManualScheduler} (runs tasks as the test advances time, so tests never sleep),
 * {@link dev.runnel.testing.TempLogDirs}, and {@link dev.runnel.testing.PackageLayers}, which
 * checks a module's package layer table against its sources. Depends on {@code
 * dev.runnel.common.time}, JUnit, AssertJ and Awaitility; only tests depend on it.
 */
package dev.runnel.testing;
