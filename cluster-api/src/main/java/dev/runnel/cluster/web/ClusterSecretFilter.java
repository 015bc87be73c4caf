package dev.runnel.cluster.web;

import java.io.IOException;

import org.springframework.web.filter.OncePerRequestFilter;

import dev.runnel.cluster.InternalApi;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Refuses every call to the internal API ({@link InternalApi#PREFIX}) that does not carry the cluster
 * secret, with 401 and a problem body, before the request is read.
 */
public final class ClusterSecretFilter extends OncePerRequestFilter {

    private final String secret;

    public ClusterSecretFilter(String secret) {
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("runnel.cluster.secret must be set: controllers and brokers "
                    + "authenticate each other's internal calls with it");
        }
        this.secret = secret;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !RequestPaths.isUnder(request, InternalApi.PREFIX);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (InternalApi.secretMatches(secret, request.getHeader(InternalApi.SECRET_HEADER))) {
            chain.doFilter(request, response);
            return;
        }
        Problems.write(response, 401, "unauthorized", "Missing or wrong cluster secret",
                "Internal API calls must carry the cluster secret in the " + InternalApi.SECRET_HEADER + " header");
    }
}
