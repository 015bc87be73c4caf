/**
 * Small concurrency building blocks the services share: {@link dev.runnel.common.concurrent.SerialQueue},
 * one owner's tasks in order on a shared executor. Only the JDK and SLF4J.
 */
package dev.runnel.common.concurrent;
