/**
 * What every gateway controller shares at the HTTP edge: refusals ({@link
 * dev.runnel.gateway.web.ProxyException}) answered as RFC 9457 problems by one advice, and request
 * bodies read with a size limit. The bottom of the gateway: depends on Spring MVC and cluster-api's
 * web support only, on no other gateway package.
 */
package dev.runnel.gateway.web;
