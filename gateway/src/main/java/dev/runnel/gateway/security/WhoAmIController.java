package dev.runnel.gateway.security;

import java.security.Principal;
import java.util.Map;

import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** {@code GET /me}: who the caller is signed in as, and whether they may change things. */
@RestController
@Tag(name = "Cluster")
class WhoAmIController {

    @GetMapping("/me")
    @Operation(summary = "The signed-in caller and their role (READ or ADMIN)")
    Map<String, Object> me(Principal principal) {
        if (!(principal instanceof Authentication authentication)) {
            return Map.of("name", "anonymous", "role", "ADMIN", "securityEnabled", false);
        }
        boolean admin = authentication.getAuthorities().stream().anyMatch(a -> a.getAuthority().equals("ROLE_ADMIN"));
        return Map.of("name", authentication.getName(), "role", admin ? "ADMIN" : "READ", "securityEnabled", true);
    }
}
