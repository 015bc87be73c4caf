package dev.runnel.cluster.security;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;

import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.web.Problems;

/**
 * Who may call a controller's or a broker's HTTP API, with Spring Security. Imported by both, after
 * {@code ClusterWebConfiguration} (whose {@link ClusterSettings} it uses).
 *
 * <pre>
 * /internal/**                       the cluster secret, checked before this chain (cluster-secret filter)
 * /actuator/health, /actuator/health/**
 *                                    nothing (probes); components and details only to an authenticated
 *                                    caller (management.endpoint.health.show-details: when-authorized)
 * GET, HEAD /api/v1/**               role READ
 * any other /api/v1/**               role ADMIN (which includes READ)
 * anything else (Actuator's metrics, Prometheus, ...)
 *                                    an authenticated caller
 * </pre>
 *
 * A caller authenticates with HTTP basic as one of {@code runnel.cluster.security.users}, with an
 * API key of {@code runnel.cluster.security.api-keys} in {@value ApiKeyAuthenticationFilter#HEADER},
 * or, being another Runnel service, with the cluster secret (role ADMIN). Every call carries its
 * credentials: no session, no cookie, hence no CSRF token. Refusals are RFC 9457 problems (401
 * {@code unauthenticated}, 403 {@code forbidden}).
 */
@Configuration(proxyBeanMethods = false)
public class ClusterHttpSecurityConfiguration {

    private static final String REALM = "Runnel";

    @Bean
    @ConfigurationProperties("runnel.cluster.security")
    ClusterSecurityProperties clusterSecurityProperties() {
        return new ClusterSecurityProperties();
    }

    @Bean
    RoleHierarchy roleHierarchy() {
        return AccountSecurity.roleHierarchy();
    }

    @Bean
    PasswordEncoder passwordEncoder() {
        return AccountSecurity.passwordEncoder();
    }

    @Bean
    UserDetailsService clusterUsers(ClusterSecurityProperties accounts) {
        accounts.validateEntries("runnel.cluster.security");
        return AccountSecurity.users(accounts);
    }

    @Bean
    SecurityFilterChain clusterHttpSecurity(HttpSecurity http, ClusterSecurityProperties accounts,
            ClusterSettings cluster) throws Exception {
        AuthenticationEntryPoint entryPoint = (request, response, failure) -> {
            response.setHeader("WWW-Authenticate", "Basic realm=\"" + REALM + "\"");
            Problems.write(response, 401, "unauthenticated", "Unauthorized", "Sign in: HTTP basic with a user of "
                    + "runnel.cluster.security.users, or an API key in " + ApiKeyAuthenticationFilter.HEADER);
        };
        http.authorizeHttpRequests(a -> a
                        .requestMatchers(InternalApi.PREFIX + "/**").permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/error").permitAll()
                        .requestMatchers(HttpMethod.GET, "/api/v1/**").hasRole(Accounts.Role.READ.name())
                        .requestMatchers(HttpMethod.HEAD, "/api/v1/**").hasRole(Accounts.Role.READ.name())
                        .requestMatchers("/api/v1/**").hasRole(Accounts.Role.ADMIN.name())
                        .anyRequest().authenticated())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(c -> c.disable())
                .requestCache(c -> c.disable())
                .addFilterBefore(new ClusterSecretAuthenticationFilter(cluster.getSecret()), BasicAuthenticationFilter.class)
                .addFilterBefore(new ApiKeyAuthenticationFilter(accounts.getApiKeys()), BasicAuthenticationFilter.class)
                .httpBasic(b -> b.realmName(REALM).authenticationEntryPoint(entryPoint))
                .exceptionHandling(e -> e.authenticationEntryPoint(entryPoint)
                        .accessDeniedHandler((request, response, denied) -> Problems.write(response, 403, "forbidden",
                                "Forbidden", request.getMethod() + " " + request.getRequestURI()
                                        + " needs the ADMIN role")));
        return http.build();
    }

    /** The users and API keys of controllers and brokers, under {@code runnel.cluster.security}. */
    public static class ClusterSecurityProperties extends Accounts {
    }
}
