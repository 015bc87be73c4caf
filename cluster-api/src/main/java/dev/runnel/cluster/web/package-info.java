/**
 * The servlet side every service with an HTTP API shares: the cluster-secret filter on the internal
 * API, the {@code Host} check against DNS rebinding ({@link dev.runnel.cluster.web.HostHeaderFilter}),
 * RFC 9457 problem bodies written by filters, request paths as Spring MVC matches them, and
 * relaying a call to another service ({@link dev.runnel.cluster.web.HttpRelay}). Depends on {@code
 * dev.runnel.cluster}, Spring and the servlet API.
 */
package dev.runnel.cluster.web;
