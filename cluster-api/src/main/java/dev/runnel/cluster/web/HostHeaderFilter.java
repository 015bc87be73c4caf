package dev.runnel.cluster.web;

import java.io.IOException;

import org.springframework.web.filter.OncePerRequestFilter;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Refuses a request whose {@code Host} is not one of the service's names ({@link AllowedHosts})
 * with 421 Misdirected Request and a problem body, before anything else looks at it: the DNS
 * rebinding defence of every Runnel HTTP server.
 */
public final class HostHeaderFilter extends OncePerRequestFilter {

    /** Its order: first of all, before the cluster secret is checked or a call forwarded. */
    public static final int ORDER = ClusterWebConfiguration.SECRET_FILTER_ORDER - 5;

    private final AllowedHosts allowed;
    private final String setting;

    /**
     * @param allowed the names the service answers to
     * @param setting the property that adds names, for the refusal's detail
     */
    public HostHeaderFilter(AllowedHosts allowed, String setting) {
        this.allowed = allowed;
        this.setting = setting;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String host = request.getHeader("Host");
        if (allowed.allows(host)) {
            chain.doFilter(request, response);
            return;
        }
        Problems.write(response, 421, "host-not-allowed", "Misdirected request", "This service does not answer to "
                + "the host name " + AllowedHosts.normalize(host.trim()) + " (DNS rebinding protection); it answers to "
                + allowed.describe() + " and any IP address. Add the name to " + setting);
    }
}
