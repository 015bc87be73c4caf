package dev.runnel.cluster.security;

import java.util.ArrayList;
import java.util.List;

import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;

/** {@link Accounts} as Spring Security's users, password encoder and roles. */
public final class AccountSecurity {

    private AccountSecurity() {
    }

    /** ADMIN may do whatever READ may. */
    public static RoleHierarchy roleHierarchy() {
        return RoleHierarchyImpl.withDefaultRolePrefix().role(Accounts.Role.ADMIN.name())
                .implies(Accounts.Role.READ.name()).build();
    }

    /** Passwords as {@code {bcrypt}...}, {@code {noop}...} and the other prefixes Spring Security knows. */
    public static PasswordEncoder passwordEncoder() {
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    /** The users of {@code accounts}; a password without a {@code {id}} prefix is plain text. */
    public static UserDetailsService users(Accounts accounts) {
        List<UserDetails> users = new ArrayList<>();
        for (Accounts.User user : accounts.getUsers()) {
            String password = user.getPassword().startsWith("{") ? user.getPassword() : "{noop}" + user.getPassword();
            users.add(User.withUsername(user.getName()).password(password).roles(user.getRole().name()).build());
        }
        // Not the manager itself: as a UserDetailsPasswordService it would "upgrade" a plain-text
        // password to bcrypt at the first sign-in, and every HTTP basic request after would pay a
        // bcrypt check (about 70 ms of CPU). A password configured as {bcrypt} does pay it; programs
        // that call often should use an API key.
        InMemoryUserDetailsManager manager = new InMemoryUserDetailsManager(users);
        return manager::loadUserByUsername;
    }
}
