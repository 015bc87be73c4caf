package dev.runnel.gateway.security;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.security.web.util.matcher.RequestMatcher;

import dev.runnel.cluster.security.AccountSecurity;
import dev.runnel.cluster.security.ApiKeyAuthenticationFilter;
import dev.runnel.cluster.web.Problems;
import dev.runnel.cluster.web.RequestPaths;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;

/**
 * Every gateway route needs a signed-in caller, except the health probes and the login page.
 * Reading (any GET) and consuming through consumer instances need the READ role; everything else
 * (producing, creating and deleting topics, changing configs, resetting offsets) needs ADMIN,
 * which includes READ. Programs authenticate with HTTP basic or an API key on each request
 * (no session); people sign in to the console with a form, get a session cookie, and their
 * changes carry a CSRF token (see {@link #authenticatesItselfWithoutASession} for who need not).
 * A refusal is an RFC 9457 problem, except that a browser asking for a page is sent to the login
 * form.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GatewaySecurityProperties.class)
class GatewaySecurityConfiguration {

    private static final String REALM = "Runnel gateway";

    @Bean
    RoleHierarchy roleHierarchy() {
        return AccountSecurity.roleHierarchy();
    }

    @Bean
    PasswordEncoder passwordEncoder() {
        return AccountSecurity.passwordEncoder();
    }

    @Bean
    UserDetailsService gatewayUsers(GatewaySecurityProperties properties) {
        properties.validate();
        return AccountSecurity.users(properties);
    }

    /**
     * Whether a request may go without a CSRF token: one that carries its own credentials, HTTP
     * basic or an API key, and no signed-in session, outside the sign-in and sign-out forms. Such a
     * request either authenticates by those credentials or is refused for them (401), so a forged
     * one gains nothing; but as long as a session is signed in, its cookie would authenticate the
     * request too (the basic filter does not even check the password of the session's own user),
     * so then the token is needed whatever else the request carries. Any other {@code
     * Authorization} scheme ({@code Bearer x}) authenticates nobody and never counts.
     */
    static boolean authenticatesItselfWithoutASession(HttpServletRequest request) {
        String authorization = request.getHeader("Authorization");
        boolean ownCredentials = request.getHeader(ApiKeyAuthenticationFilter.HEADER) != null
                || (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6));
        if (!ownCredentials || RequestPaths.isUnder(request, "/login") || RequestPaths.isUnder(request, "/logout")) {
            return false;
        }
        HttpSession session = request.getSession(false);
        return session == null
                || session.getAttribute(HttpSessionSecurityContextRepository.SPRING_SECURITY_CONTEXT_KEY) == null;
    }

    @Bean
    SecurityFilterChain gatewaySecurity(HttpSecurity http, GatewaySecurityProperties properties) throws Exception {
        if (!properties.isEnabled()) {
            http.authorizeHttpRequests(a -> a.anyRequest().permitAll()).csrf(c -> c.disable());
            return http.build();
        }
        RequestMatcher programmatic = request -> request.getHeader("Authorization") != null
                || request.getHeader(ApiKeyAuthenticationFilter.HEADER) != null;
        RequestMatcher needsNoCsrfToken = GatewaySecurityConfiguration::authenticatesItselfWithoutASession;
        LoginUrlAuthenticationEntryPoint loginPage = new LoginUrlAuthenticationEntryPoint("/login");
        AuthenticationEntryPoint entryPoint = (request, response, failure) -> {
            String accept = request.getHeader("Accept");
            if (accept != null && accept.contains("text/html") && !programmatic.matches(request)) {
                loginPage.commence(request, response, failure);
                return;
            }
            if (!"XMLHttpRequest".equals(request.getHeader("X-Requested-With"))) {
                // Not for the console's own calls: the browser would show its password prompt.
                response.setHeader("WWW-Authenticate", "Basic realm=\"" + REALM + "\"");
            }
            Problems.write(response, 401, "unauthenticated", "Unauthorized",
                    "Sign in: HTTP basic with a configured user, or an API key in " + ApiKeyAuthenticationFilter.HEADER);
        };
        http.authorizeHttpRequests(a -> a
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/login", "/login.html", "/error",
                                "/console/console.css").permitAll()
                        .requestMatchers(HttpMethod.GET).hasRole("READ")
                        .requestMatchers(HttpMethod.HEAD).hasRole("READ")
                        .requestMatchers(HttpMethod.OPTIONS).hasRole("READ")
                        .requestMatchers("/consumers/**").hasRole("READ")
                        .requestMatchers(HttpMethod.POST, "/logout").authenticated()
                        .anyRequest().hasRole("ADMIN"))
                .addFilterBefore(new ApiKeyAuthenticationFilter(properties.getApiKeys()), BasicAuthenticationFilter.class)
                .httpBasic(b -> b.realmName(REALM).authenticationEntryPoint(entryPoint))
                .formLogin(f -> f.loginPage("/login").defaultSuccessUrl("/", false).permitAll())
                .logout(l -> l.logoutSuccessUrl("/login?logout"))
                .csrf(c -> c.spa().ignoringRequestMatchers(needsNoCsrfToken))
                .exceptionHandling(e -> e
                        .authenticationEntryPoint(entryPoint)
                        .accessDeniedHandler((request, response, denied) -> {
                            Authentication caller = SecurityContextHolder.getContext().getAuthentication();
                            if (caller == null || caller instanceof AnonymousAuthenticationToken) {
                                // Refused before sign-in was even looked at (CSRF runs first): the caller needs to sign in.
                                entryPoint.commence(request, response, null);
                                return;
                            }
                            Problems.write(response, 403, "forbidden", "Forbidden", denied instanceof CsrfException
                                    ? "The console's CSRF token is missing or stale; reload the page"
                                    : request.getMethod() + " " + request.getRequestURI() + " needs the ADMIN role");
                        }));
        return http.build();
    }
}
