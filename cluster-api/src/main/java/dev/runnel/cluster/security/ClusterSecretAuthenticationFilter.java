package dev.runnel.cluster.security;

import java.io.IOException;
import java.util.List;

import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.context.SecurityContextHolderStrategy;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.web.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Authenticates a call from another Runnel service: one carrying the cluster secret in {@value
 * InternalApi#SECRET_HEADER} is {@value #PRINCIPAL} with the ADMIN role (a broker forwarding a
 * Kafka client's CreateTopics, a standby controller forwarding a call it has authorized, the
 * gateway relaying an admin call it has authorized). A wrong secret is refused at once with 401.
 */
public final class ClusterSecretAuthenticationFilter extends OncePerRequestFilter {

    /** The name a call carrying the cluster secret is authenticated as. */
    public static final String PRINCIPAL = "runnel-cluster";

    private final String secret;
    private final SecurityContextHolderStrategy contexts = SecurityContextHolder.getContextHolderStrategy();

    public ClusterSecretAuthenticationFilter(String secret) {
        this.secret = secret;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String presented = request.getHeader(InternalApi.SECRET_HEADER);
        if (presented == null) {
            chain.doFilter(request, response);
            return;
        }
        if (!InternalApi.secretMatches(secret, presented)) {
            Problems.write(response, 401, "unauthorized", "Missing or wrong cluster secret",
                    "The cluster secret in " + InternalApi.SECRET_HEADER + " is not this cluster's");
            return;
        }
        SecurityContext context = contexts.createEmptyContext();
        context.setAuthentication(UsernamePasswordAuthenticationToken.authenticated(PRINCIPAL, null,
                List.of(new SimpleGrantedAuthority("ROLE_" + Accounts.Role.ADMIN.name()))));
        contexts.setContext(context);
        chain.doFilter(request, response);
    }
}
