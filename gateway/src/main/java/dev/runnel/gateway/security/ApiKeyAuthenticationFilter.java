package dev.runnel.gateway.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.context.SecurityContextHolderStrategy;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.runnel.cluster.web.Problems;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Authenticates a request carrying {@value #HEADER} against the configured keys (compared in
 * constant time). A wrong key is refused at once with 401; the key itself is never logged or echoed.
 */
final class ApiKeyAuthenticationFilter extends OncePerRequestFilter {

    static final String HEADER = "X-API-Key";

    private final List<GatewaySecurityProperties.ApiKey> keys;
    private final SecurityContextHolderStrategy contexts = SecurityContextHolder.getContextHolderStrategy();

    ApiKeyAuthenticationFilter(List<GatewaySecurityProperties.ApiKey> keys) {
        this.keys = List.copyOf(keys);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String presented = request.getHeader(HEADER);
        if (presented == null) {
            chain.doFilter(request, response);
            return;
        }
        GatewaySecurityProperties.ApiKey match = null;
        byte[] presentedBytes = presented.getBytes(StandardCharsets.UTF_8);
        for (GatewaySecurityProperties.ApiKey key : keys) {
            if (MessageDigest.isEqual(presentedBytes, key.getKey().getBytes(StandardCharsets.UTF_8))) {
                match = key;
            }
        }
        if (match == null) {
            Problems.write(response, 401, "unauthenticated", "Unauthorized", "The API key in " + HEADER
                    + " is not one the gateway knows");
            return;
        }
        SecurityContext context = contexts.createEmptyContext();
        context.setAuthentication(UsernamePasswordAuthenticationToken.authenticated("api-key:" + match.getName(), null,
                List.of(new SimpleGrantedAuthority("ROLE_" + match.getRole().name()))));
        contexts.setContext(context);
        chain.doFilter(request, response);
    }
}
