package dev.runnel.cluster.web;

import java.util.ArrayList;
import java.util.List;

/** Every Runnel HTTP server's own settings, under {@code runnel.http}. */
public class HttpSettings {

    /**
     * Host names, besides localhost, the service's advertised host and {@code server.address}, that
     * requests may carry in {@code Host} (DNS rebinding protection; IP addresses always pass). An
     * entry starting with a dot allows every name under it ({@code .svc.cluster.local}); {@code *}
     * allows any name.
     */
    private List<String> allowedHosts = new ArrayList<>();

    public List<String> getAllowedHosts() {
        return allowedHosts;
    }

    public void setAllowedHosts(List<String> allowedHosts) {
        this.allowedHosts = allowedHosts == null ? new ArrayList<>() : new ArrayList<>(allowedHosts);
    }
}
