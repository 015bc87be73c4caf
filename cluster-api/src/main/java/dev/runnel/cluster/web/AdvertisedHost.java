package dev.runnel.cluster.web;

/**
 * A name a service is reached at, as it registers itself ({@code runnel.controller.host}, {@code
 * runnel.broker.host}): a bean of this type adds it to the names the service answers to.
 */
public record AdvertisedHost(String name) {
}
