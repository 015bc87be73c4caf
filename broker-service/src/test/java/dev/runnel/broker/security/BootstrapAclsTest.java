package dev.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ACLs a broker makes at start, as written in {@code runnel.broker.authorizer.bootstrap-acls(-file)}. */
class BootstrapAclsTest {

    private static final Principal APP = Principal.user("app");

    @Test
    void aLineIsOneAllowRulePerOperationFromAnyHost() {
        assertThat(BootstrapAcls.parse("  User:app  READ,write,DESCRIBE  TOPIC  PREFIXED  app- ")).containsExactly(
                allow(ResourceType.TOPIC, "app-", AclOperation.READ),
                allow(ResourceType.TOPIC, "app-", AclOperation.WRITE),
                allow(ResourceType.TOPIC, "app-", AclOperation.DESCRIBE));
    }

    @Test
    void blankLinesAndCommentsStandForNothing() {
        assertThat(BootstrapAcls.parse("")).isEmpty();
        assertThat(BootstrapAcls.parse("# User:app READ TOPIC LITERAL x")).isEmpty();
    }

    @Test
    void aMalformedLineIsRefusedNamingIt() {
        assertThatThrownBy(() -> BootstrapAcls.parse("User:app READ TOPIC app-"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'User:app READ TOPIC app-'");
        assertThatThrownBy(() -> BootstrapAcls.parse("User:app FLY TOPIC PREFIXED app-"))
                .hasMessageContaining("unknown AclOperation FLY");
        assertThatThrownBy(() -> BootstrapAcls.parse("User:app READ TOPIC ANY app-"))
                .hasMessageContaining("Invalid patternType");
        assertThatThrownBy(() -> BootstrapAcls.parse("app READ TOPIC LITERAL x"))
                .hasMessageContaining("Could not parse principal");
    }

    @Test
    void theFileAndTheListAreReadTogetherAndGrantWhatTheySay(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("acls"), "# the application user\nUser:app READ GROUP PREFIXED app-\n");
        List<AclBinding> bindings = BootstrapAcls.read(List.of("User:app READ,WRITE TOPIC PREFIXED app-"), file);

        try (SecurityZooKeeper zookeeper = new SecurityZooKeeper()) {
            Authorizer authorizer = new Authorizer(Set.of(), false);
            AclStore store = zookeeper.owned(new AclStore(zookeeper.newClient(), authorizer::load, Duration.ofSeconds(10)));
            store.start();
            assertThat(store.awaitInitialized(Duration.ofSeconds(10))).isTrue();
            assertThat(store.createAcls(bindings)).allMatch(r -> !r.error().isFailure());

            assertThat(authorizer.authorize(APP, "10.0.0.1", AclOperation.WRITE, ResourceType.TOPIC, "app-orders"))
                    .isEqualTo(AuthorizationResult.ALLOWED);
            assertThat(authorizer.authorize(APP, "10.0.0.1", AclOperation.READ, ResourceType.GROUP, "app-billing"))
                    .isEqualTo(AuthorizationResult.ALLOWED);
            assertThat(authorizer.authorize(APP, "10.0.0.1", AclOperation.READ, ResourceType.TOPIC, "payroll"))
                    .isEqualTo(AuthorizationResult.DENIED);
        }
    }

    private static AclBinding allow(ResourceType type, String prefix, AclOperation operation) {
        return new AclBinding(ResourcePattern.prefixed(type, prefix),
                new AccessControlEntry("User:app", "*", operation, AclPermissionType.ALLOW));
    }
}
