/**
 * Who may use the gateway: users (HTTP basic and the console's login form) and API keys, each with
 * a role, under {@code runnel.gateway.security}. Depends on Spring Security and cluster-api's web
 * and security support (the users, API keys and roles controllers and brokers share) only; no
 * other gateway package depends on it (it guards them all through the filter chain).
 */
package dev.runnel.gateway.security;
