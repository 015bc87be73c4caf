package dev.runnel.cluster.security;

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
 * constant time), as {@code api-key:<name>} with the key's role. A wrong key is refused at once
 * with 401; the key itself is never logged or echoed.
 */
public final class ApiKeyAuthenticationFilter extends OncePerRequestFilter {

    public static final String HEADER = "X-API-Key";

    private final List<Accounts.ApiKey> keys;
    private final SecurityContextHolderStrategy contexts = SecurityContextHolder.getContextHolderStrategy();

    public ApiKeyAuthenticationFilter(List<Accounts.ApiKey> keys) {
        this.keys = List.copyOf(keys);
    }

    /** Whether {@code presented} is one of the keys, without saying which or where they differ. */
    public boolean matches(String presented) {
        return match(presented) != null;
    }

    private Accounts.ApiKey match(String presented) {
        if (presented == null) {
            return null;
        }
        Accounts.ApiKey match = null;
        byte[] presentedBytes = presented.getBytes(StandardCharsets.UTF_8);
        for (Accounts.ApiKey key : keys) {
            if (MessageDigest.isEqual(presentedBytes, key.getKey().getBytes(StandardCharsets.UTF_8))) {
                match = key;
            }
        }
        return match;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String presented = request.getHeader(HEADER);
        if (presented == null) {
            chain.doFilter(request, response);
            return;
        }
        Accounts.ApiKey match = match(presented);
        if (match == null) {
            Problems.write(response, 401, "unauthenticated", "Unauthorized", "The API key in " + HEADER
                    + " is not one this service knows");
            return;
        }
        SecurityContext context = contexts.createEmptyContext();
        context.setAuthentication(UsernamePasswordAuthenticationToken.authenticated("api-key:" + match.getName(), null,
                List.of(new SimpleGrantedAuthority("ROLE_" + match.getRole().name()))));
        contexts.setContext(context);
        chain.doFilter(request, response);
    }
}
