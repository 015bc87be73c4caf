/**
 * The controller service's application: {@link dev.runnel.controller.ControllerApplication}, its
 * settings ({@code runnel.controller.*}) and the wiring of the scheduler, the clock and ticker, the
 * active controller and the election. Depends on {@code election} and on cluster-api and common;
 * only {@code api} depends on it (for the settings), so the wiring of the HTTP side lives in {@code
 * api}.
 */
package dev.runnel.controller;
