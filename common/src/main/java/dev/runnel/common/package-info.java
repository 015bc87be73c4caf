/**
 * Types every Runnel service shares, such as {@link dev.runnel.common.TopicPartition}. Plain Java:
 * this package and its subpackages ({@code time}, {@code process}) depend on the JDK and SLF4J
 * only, and on nothing else of Runnel, so any module may use them.
 */
package dev.runnel.common;
