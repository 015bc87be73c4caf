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
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.security.web.util.matcher.RequestMatcher;

import dev.runnel.cluster.security.AccountSecurity;
import dev.runnel.cluster.security.ApiKeyAuthenticationFilter;
import dev.runnel.cluster.web.Problems;

/**
 * Every gateway route needs a signed-in caller, except the health probes and the login page.
 * Reading (any GET) and consuming through consumer instances need the READ role; everything else
 * (producing, creating and deleting topics, changing configs, resetting offsets) needs ADMIN,
 * which includes READ. Programs authenticate with HTTP basic or an API key on each request
 * (no session); people sign in to the console with a form, get a session cookie, and their
 * changes carry a CSRF token. A refusal is an RFC 9457 problem, except that a browser asking for
 * a page is sent to the login form.
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

    @Bean
    SecurityFilterChain gatewaySecurity(HttpSecurity http, GatewaySecurityProperties properties) throws Exception {
        if (!properties.isEnabled()) {
            http.authorizeHttpRequests(a -> a.anyRequest().permitAll()).csrf(c -> c.disable());
            return http.build();
        }
        RequestMatcher programmatic = request -> request.getHeader("Authorization") != null
                || request.getHeader(ApiKeyAuthenticationFilter.HEADER) != null;
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
                .csrf(c -> c.spa().ignoringRequestMatchers(programmatic))
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
