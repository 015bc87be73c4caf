/**
 * Every service's process as a harness sees it ({@code runnel.process.*}): the port file written
 * once the service is ready, and the watchdog that halts it when the process that started it is
 * gone. Both are off unless their property is set; the plain-Java parts are in {@code
 * dev.runnel.common.process}.
 */
package dev.runnel.cluster.process;
