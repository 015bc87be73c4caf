/**
 * What operators see of a controller through Actuator: the {@code controller} health component and
 * the controller's gauges. Reads {@code election}, {@code metadata} and {@code channel}; depends on
 * Spring Boot's health support and Micrometer; nothing depends on it.
 */
package dev.runnel.controller.ops;
