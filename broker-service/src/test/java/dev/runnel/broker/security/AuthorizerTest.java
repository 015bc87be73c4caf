package dev.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** Kafka's authorization rules, by example, and the index against a plain reading of them on random ACLs. */
class AuthorizerTest {

    private static final Principal ALICE = Principal.user("alice");
    private static final Principal BOB = Principal.user("bob");
    private static final String HOST = "10.0.0.1";
    private static final String OTHER_HOST = "10.0.0.2";

    private final Logger audit = (Logger) LoggerFactory.getLogger(Authorizer.AUDIT_LOGGER);
    private final ListAppender<ILoggingEvent> auditLines = new ListAppender<>();

    @AfterEach
    void detachAudit() {
        audit.detachAppender(auditLines);
        audit.setLevel(null);
    }

    static AclBinding acl(ResourceType type, String name, PatternType patternType, String principal, String host,
            AclOperation operation, AclPermissionType permission) {
        return new AclBinding(new ResourcePattern(type, name, patternType),
                new AccessControlEntry(principal, host, operation, permission));
    }

    static AclBinding allow(String topic, String principal, AclOperation operation) {
        return acl(ResourceType.TOPIC, topic, PatternType.LITERAL, principal, "*", operation, AclPermissionType.ALLOW);
    }

    static AclBinding deny(String topic, String principal, AclOperation operation) {
        return acl(ResourceType.TOPIC, topic, PatternType.LITERAL, principal, "*", operation, AclPermissionType.DENY);
    }

    private static Authorizer authorizer(boolean allowIfNoAcl, AclBinding... acls) {
        Authorizer authorizer = new Authorizer(Set.of(Principal.user("admin")), allowIfNoAcl);
        authorizer.load(AclIndex.of(List.of(acls)));
        return authorizer;
    }

    private static AuthorizationResult topic(Authorizer authorizer, Principal principal, AclOperation operation,
            String topic) {
        return authorizer.authorize(principal, HOST, operation, ResourceType.TOPIC, topic);
    }

    @Test
    void superUsersMayDoAnythingEvenWhenDenied() {
        Authorizer authorizer = authorizer(false, deny("orders", "User:admin", AclOperation.ALL));

        assertThat(topic(authorizer, Principal.user("admin"), AclOperation.WRITE, "orders"))
                .isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(Authorizer.parseSuperUsers(" User:admin ; User:ops;;")).containsExactly(Principal.user("admin"),
                Principal.user("ops"));
        assertThatThrownBy(() -> Authorizer.parseSuperUsers("admin")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDenyBeatsAnAllow() {
        Authorizer authorizer = authorizer(false, allow("orders", "User:alice", AclOperation.READ),
                deny("*", "User:*", AclOperation.READ));

        assertThat(topic(authorizer, ALICE, AclOperation.READ, "orders")).isEqualTo(AuthorizationResult.DENIED);
    }

    @Test
    void literalWildcardAndPrefixedPatternsApply() {
        Authorizer authorizer = authorizer(false, allow("orders", "User:alice", AclOperation.READ),
                allow("*", "User:alice", AclOperation.WRITE),
                acl(ResourceType.TOPIC, "pay", PatternType.PREFIXED, "User:alice", "*", AclOperation.DELETE,
                        AclPermissionType.ALLOW));

        assertThat(topic(authorizer, ALICE, AclOperation.READ, "orders")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(authorizer, ALICE, AclOperation.READ, "orders2")).isEqualTo(AuthorizationResult.DENIED);
        assertThat(topic(authorizer, ALICE, AclOperation.WRITE, "anything")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(authorizer, ALICE, AclOperation.DELETE, "payments")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(authorizer, ALICE, AclOperation.DELETE, "pay")).as("a prefix includes the name itself")
                .isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(authorizer, ALICE, AclOperation.DELETE, "pa")).isEqualTo(AuthorizationResult.DENIED);
        assertThat(authorizer.authorize(ALICE, HOST, AclOperation.READ, ResourceType.GROUP, "orders"))
                .as("another resource type").isEqualTo(AuthorizationResult.DENIED);
    }

    @Test
    void principalsMatchExactlyOrByUserStar() {
        Authorizer authorizer = authorizer(false, allow("orders", "User:*", AclOperation.READ),
                allow("payments", "User:alice", AclOperation.READ), allow("audit", "Group:*", AclOperation.READ));

        assertThat(topic(authorizer, BOB, AclOperation.READ, "orders")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(authorizer, new Principal("Group", "ops"), AclOperation.READ, "orders"))
                .as("User:* is every principal, whatever its type").isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(authorizer, BOB, AclOperation.READ, "payments")).isEqualTo(AuthorizationResult.DENIED);
        assertThat(topic(authorizer, new Principal("Group", "ops"), AclOperation.READ, "audit"))
                .as("only User:* is a wildcard").isEqualTo(AuthorizationResult.DENIED);
    }

    @Test
    void hostsMatchExactlyOrByStar() {
        Authorizer authorizer = authorizer(false, acl(ResourceType.TOPIC, "orders", PatternType.LITERAL,
                "User:alice", HOST, AclOperation.READ, AclPermissionType.ALLOW));

        assertThat(authorizer.authorize(ALICE, HOST, AclOperation.READ, ResourceType.TOPIC, "orders"))
                .isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(authorizer.authorize(ALICE, OTHER_HOST, AclOperation.READ, ResourceType.TOPIC, "orders"))
                .isEqualTo(AuthorizationResult.DENIED);
    }

    @Test
    void allCoversEveryOperationForAllowAndDeny() {
        Authorizer authorizer = authorizer(false, allow("orders", "User:alice", AclOperation.ALL),
                deny("payments", "User:*", AclOperation.ALL), allow("payments", "User:alice", AclOperation.WRITE));

        assertThat(topic(authorizer, ALICE, AclOperation.ALTER_CONFIGS, "orders")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(authorizer, ALICE, AclOperation.WRITE, "payments")).isEqualTo(AuthorizationResult.DENIED);
    }

    @Test
    void allowsOfReadWriteDeleteAndAlterImplyDescribe() {
        for (AclOperation implying : List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE,
                AclOperation.ALTER)) {
            assertThat(topic(authorizer(false, allow("t", "User:alice", implying)), ALICE, AclOperation.DESCRIBE, "t"))
                    .as(implying.name()).isEqualTo(AuthorizationResult.ALLOWED);
        }
        for (AclOperation other : List.of(AclOperation.CREATE, AclOperation.DESCRIBE_CONFIGS,
                AclOperation.ALTER_CONFIGS, AclOperation.CLUSTER_ACTION, AclOperation.IDEMPOTENT_WRITE)) {
            assertThat(topic(authorizer(false, allow("t", "User:alice", other)), ALICE, AclOperation.DESCRIBE, "t"))
                    .as(other.name()).isEqualTo(AuthorizationResult.DENIED);
        }
        assertThat(topic(authorizer(false, allow("t", "User:alice", AclOperation.ALTER_CONFIGS)), ALICE,
                AclOperation.DESCRIBE_CONFIGS, "t")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(authorizer(false, allow("t", "User:alice", AclOperation.DESCRIBE)), ALICE,
                AclOperation.READ, "t")).as("nothing implies more than itself").isEqualTo(AuthorizationResult.DENIED);
    }

    @Test
    void aDenyImpliesNothingBeyondItsOwnOperation() {
        Authorizer authorizer = authorizer(false, allow("t", "User:alice", AclOperation.DESCRIBE),
                allow("t", "User:alice", AclOperation.DESCRIBE_CONFIGS), deny("t", "User:alice", AclOperation.READ),
                deny("t", "User:alice", AclOperation.ALTER_CONFIGS));

        assertThat(topic(authorizer, ALICE, AclOperation.DESCRIBE, "t")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(authorizer, ALICE, AclOperation.DESCRIBE_CONFIGS, "t")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(authorizer, ALICE, AclOperation.READ, "t")).isEqualTo(AuthorizationResult.DENIED);
    }

    @Test
    void everyoneIsAllowedOnlyWhereNoAclAppliesAtAll() {
        Authorizer open = authorizer(true, allow("orders", "User:bob", AclOperation.READ),
                acl(ResourceType.TOPIC, "pay", PatternType.PREFIXED, "User:bob", "*", AclOperation.READ,
                        AclPermissionType.ALLOW));

        assertThat(topic(open, ALICE, AclOperation.READ, "other")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(topic(open, ALICE, AclOperation.READ, "orders")).as("bob's ACL applies to the topic")
                .isEqualTo(AuthorizationResult.DENIED);
        assertThat(topic(open, ALICE, AclOperation.WRITE, "payments")).as("a prefixed ACL applies too")
                .isEqualTo(AuthorizationResult.DENIED);
        assertThat(topic(authorizer(false), ALICE, AclOperation.READ, "other")).isEqualTo(AuthorizationResult.DENIED);
    }

    @Test
    void noDecisionBeforeTheAclsHaveLoadedExceptForSuperUsers() {
        Authorizer authorizer = new Authorizer(Set.of(Principal.user("admin")), true);

        assertThat(authorizer.isReady()).isFalse();
        assertThatThrownBy(() -> topic(authorizer, ALICE, AclOperation.READ, "t"))
                .isInstanceOf(AuthorizerNotReadyException.class);
        assertThat(topic(authorizer, Principal.user("admin"), AclOperation.READ, "t"))
                .isEqualTo(AuthorizationResult.ALLOWED);
        authorizer.load(AclIndex.EMPTY);
        assertThat(topic(authorizer, ALICE, AclOperation.READ, "t")).isEqualTo(AuthorizationResult.ALLOWED);
    }

    @Test
    void filterValuesCannotBeAuthorized() {
        Authorizer authorizer = authorizer(false);

        assertThatThrownBy(() -> authorizer.authorize(ALICE, HOST, AclOperation.ANY, ResourceType.TOPIC, "t"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> authorizer.authorize(ALICE, HOST, AclOperation.READ, ResourceType.ANY, "t"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void denialsAreAuditedAtInfoAndAllowancesAtDebug() {
        audit.addAppender(auditLines);
        audit.setLevel(Level.DEBUG);
        auditLines.start();
        Authorizer authorizer = authorizer(false, allow("orders", "User:alice", AclOperation.READ));

        topic(authorizer, ALICE, AclOperation.READ, "orders");
        topic(authorizer, BOB, AclOperation.READ, "orders");
        authorizer.authorize(BOB, HOST, AclOperation.READ, ResourceType.TOPIC, "orders", Authorizer.Audit.FILTER);

        assertThat(auditLines.list).extracting(ILoggingEvent::getLevel, ILoggingEvent::getFormattedMessage)
                .containsExactly(
                        tuple(Level.DEBUG, "Principal = User:alice is Allowed operation = READ"
                                + " from host = 10.0.0.1 on resource = Topic:LITERAL:orders based on rule MatchingAcl(acl="
                                + "(pattern=Topic:LITERAL:orders, entry=(principal=User:alice, host=*, operation=READ,"
                                + " permissionType=ALLOW)))"),
                        tuple(Level.INFO, "Principal = User:bob is Denied operation = READ"
                                + " from host = 10.0.0.1 on resource = Topic:LITERAL:orders based on rule DefaultDeny"));
    }

    // ---- authorizeByResourceType ------------------------------------------------------------------

    private static AuthorizationResult anyTopic(Authorizer authorizer, Principal principal, AclOperation operation) {
        return authorizer.authorizeByResourceType(principal, HOST, operation, ResourceType.TOPIC);
    }

    private static AclBinding prefixed(String prefix, AclPermissionType permission) {
        return acl(ResourceType.TOPIC, prefix, PatternType.PREFIXED, "User:alice", "*", AclOperation.WRITE,
                permission);
    }

    @Test
    void byResourceTypeWithoutAclsFollowsTheDefault() {
        assertThat(anyTopic(authorizer(false), ALICE, AclOperation.WRITE)).isEqualTo(AuthorizationResult.DENIED);
        assertThat(anyTopic(authorizer(true), ALICE, AclOperation.WRITE)).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(anyTopic(authorizer(true, allow("orders", "User:bob", AclOperation.READ)), ALICE,
                AclOperation.WRITE)).as("no ACL names the made-up topic Kafka asks about")
                .isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(anyTopic(authorizer(false, deny("*", "User:*", AclOperation.ALL)), Principal.user("admin"),
                AclOperation.WRITE)).isEqualTo(AuthorizationResult.ALLOWED);
    }

    @Test
    void byResourceTypeAllowsOnAnAllowNoDenyDominates() {
        assertThat(anyTopic(authorizer(false, allow("orders", "User:alice", AclOperation.WRITE)), ALICE,
                AclOperation.WRITE)).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(anyTopic(authorizer(false, allow("orders", "User:alice", AclOperation.WRITE),
                deny("orders", "User:alice", AclOperation.WRITE)), ALICE, AclOperation.WRITE))
                .isEqualTo(AuthorizationResult.DENIED);
        assertThat(anyTopic(authorizer(false, allow("orders", "User:alice", AclOperation.WRITE),
                prefixed("ord", AclPermissionType.DENY)), ALICE, AclOperation.WRITE))
                .isEqualTo(AuthorizationResult.DENIED);
        assertThat(anyTopic(authorizer(false, prefixed("orders", AclPermissionType.ALLOW),
                prefixed("ord", AclPermissionType.DENY)), ALICE, AclOperation.WRITE))
                .isEqualTo(AuthorizationResult.DENIED);
        assertThat(anyTopic(authorizer(false, prefixed("ord", AclPermissionType.ALLOW),
                prefixed("orders", AclPermissionType.DENY)), ALICE, AclOperation.WRITE))
                .as("a longer deny does not cover every topic the allow does").isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(anyTopic(authorizer(false, allow("orders", "User:alice", AclOperation.WRITE),
                deny("*", "User:alice", AclOperation.WRITE)), ALICE, AclOperation.WRITE))
                .isEqualTo(AuthorizationResult.DENIED);
        assertThat(anyTopic(authorizer(false, allow("*", "User:*", AclOperation.ALL),
                deny("orders", "User:alice", AclOperation.WRITE)), ALICE, AclOperation.WRITE))
                .isEqualTo(AuthorizationResult.ALLOWED);
    }

    @Test
    void byResourceTypeLooksOnlyAtTheCallersEntriesOfExactlyThatOperation() {
        assertThat(anyTopic(authorizer(false, allow("orders", "User:bob", AclOperation.WRITE)), ALICE,
                AclOperation.WRITE)).isEqualTo(AuthorizationResult.DENIED);
        assertThat(anyTopic(authorizer(false, acl(ResourceType.TOPIC, "orders", PatternType.LITERAL, "User:alice",
                OTHER_HOST, AclOperation.WRITE, AclPermissionType.ALLOW)), ALICE, AclOperation.WRITE))
                .isEqualTo(AuthorizationResult.DENIED);
        assertThat(anyTopic(authorizer(false, allow("orders", "User:alice", AclOperation.READ)), ALICE,
                AclOperation.DESCRIBE)).as("no implied operations").isEqualTo(AuthorizationResult.DENIED);
        assertThat(anyTopic(authorizer(false, allow("orders", "User:*", AclOperation.ALL)), ALICE,
                AclOperation.WRITE)).isEqualTo(AuthorizationResult.ALLOWED);
        assertThatThrownBy(() -> authorizer(false).authorizeByResourceType(ALICE, HOST, AclOperation.ANY,
                ResourceType.TOPIC)).hasMessage("Must specify a non-filter operation type for authorizeByResourceType");
        assertThatThrownBy(() -> authorizer(false).authorizeByResourceType(ALICE, HOST, AclOperation.WRITE,
                ResourceType.ANY)).hasMessage("Must specify a non-filter resource type for authorizeByResourceType");
    }

    // ---- the index against the rules read plainly -------------------------------------------------

    @Test
    void theIndexDecidesAsAPlainScanOfEveryAcl() {
        Random random = new Random(7);
        List<String> names = List.of("*", "a", "ab", "abc", "abd", "b", "ba", "bab", "");
        List<String> principals = List.of("User:alice", "User:bob", "User:*", "Group:ops");
        List<String> hosts = List.of("*", HOST, OTHER_HOST);
        List<Principal> callers = List.of(ALICE, BOB, new Principal("Group", "ops"), Principal.user("admin"));
        AclOperation[] operations = {AclOperation.ALL, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE,
            AclOperation.ALTER_CONFIGS, AclOperation.DESCRIBE_CONFIGS, AclOperation.DELETE};
        for (int round = 0; round < 300; round++) {
            List<AclBinding> acls = new ArrayList<>();
            for (int i = random.nextInt(12); i > 0; i--) {
                String name = names.get(random.nextInt(names.size() - 1)); // no empty names stored
                acls.add(acl(random.nextBoolean() ? ResourceType.TOPIC : ResourceType.GROUP, name,
                        random.nextBoolean() ? PatternType.LITERAL : PatternType.PREFIXED,
                        principals.get(random.nextInt(principals.size())), hosts.get(random.nextInt(hosts.size())),
                        operations[random.nextInt(operations.length)],
                        random.nextInt(3) == 0 ? AclPermissionType.DENY : AclPermissionType.ALLOW));
            }
            boolean allowIfNoAcl = random.nextBoolean();
            Authorizer authorizer = authorizer(allowIfNoAcl, acls.toArray(AclBinding[]::new));
            for (int query = 0; query < 100; query++) {
                Principal caller = callers.get(random.nextInt(callers.size()));
                String host = random.nextBoolean() ? HOST : OTHER_HOST;
                AclOperation operation = operations[1 + random.nextInt(operations.length - 1)];
                ResourceType type = random.nextBoolean() ? ResourceType.TOPIC : ResourceType.GROUP;
                String name = names.get(random.nextInt(names.size())) + (random.nextBoolean() ? "" : "x");
                assertThat(authorizer.authorize(caller, host, operation, type, name, Authorizer.Audit.NONE))
                        .as("%s %s %s %s:%s with %s", caller, host, operation, type, name, acls)
                        .isEqualTo(plainly(acls, allowIfNoAcl, caller, host, operation, type, name));
            }
        }
    }

    /** Kafka's rules as written in its documentation, scanning every ACL. */
    private static AuthorizationResult plainly(List<AclBinding> acls, boolean allowIfNoAcl, Principal caller,
            String host, AclOperation operation, ResourceType type, String name) {
        if (caller.equals(Principal.user("admin"))) {
            return AuthorizationResult.ALLOWED;
        }
        List<AclBinding> applicable = acls.stream().filter(b -> b.pattern().resourceType() == type)
                .filter(b -> b.pattern().patternType() == PatternType.LITERAL
                        ? b.pattern().name().equals(name) || b.pattern().name().equals("*")
                        : name.startsWith(b.pattern().name()))
                .toList();
        if (applicable.isEmpty()) {
            return allowIfNoAcl ? AuthorizationResult.ALLOWED : AuthorizationResult.DENIED;
        }
        List<AclBinding> matching = applicable.stream()
                .filter(b -> b.entry().principal().equals(caller.toString()) || b.entry().principal().equals("User:*"))
                .filter(b -> b.entry().host().equals("*") || b.entry().host().equals(host))
                .filter(b -> {
                    AclOperation op = b.entry().operation();
                    if (op == AclOperation.ALL || op == operation) {
                        return true;
                    }
                    boolean allow = b.entry().permissionType() == AclPermissionType.ALLOW;
                    return allow && (operation == AclOperation.DESCRIBE && Set.of(AclOperation.READ,
                            AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER).contains(op)
                            || operation == AclOperation.DESCRIBE_CONFIGS && op == AclOperation.ALTER_CONFIGS);
                })
                .toList();
        if (matching.stream().anyMatch(b -> b.entry().permissionType() == AclPermissionType.DENY)) {
            return AuthorizationResult.DENIED;
        }
        return matching.isEmpty() ? AuthorizationResult.DENIED : AuthorizationResult.ALLOWED;
    }
}
