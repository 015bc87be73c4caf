/**
 * Who may call a Runnel service's HTTP API, with Spring Security: users and API keys with a role
 * ({@link dev.runnel.cluster.security.Accounts}, shared with the gateway, which binds them under
 * {@code runnel.gateway.security}), the API key and cluster-secret authentication filters, and the
 * filter chain of controllers and brokers ({@link
 * dev.runnel.cluster.security.ClusterHttpSecurityConfiguration}). Depends on the root package and
 * {@code web}.
 */
package dev.runnel.cluster.security;
