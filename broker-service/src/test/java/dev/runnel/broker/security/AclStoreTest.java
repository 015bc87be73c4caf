package dev.runnel.broker.security;

import static dev.runnel.broker.security.AuthorizerTest.allow;
import static dev.runnel.broker.security.AuthorizerTest.deny;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.ZkPaths;

/** The ACLs in ZooKeeper, written through any broker and enforced by every broker. */
class AclStoreTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Principal ALICE = Principal.user("alice");

    private SecurityZooKeeper zookeeper;

    @BeforeEach
    void startZooKeeper() throws Exception {
        zookeeper = new SecurityZooKeeper();
    }

    @AfterEach
    void stopZooKeeper() throws Exception {
        zookeeper.close();
    }

    /** One broker's view: its own ZooKeeper session, store and authorizer. */
    private record Broker(CuratorFramework zk, AclStore store, Authorizer authorizer) {
        AuthorizationResult read(String topic) {
            return authorizer.authorize(ALICE, "10.0.0.1", AclOperation.READ, ResourceType.TOPIC, topic);
        }
    }

    private Broker broker() throws Exception {
        CuratorFramework zk = zookeeper.newClient();
        Authorizer authorizer = new Authorizer(Set.of(), false);
        AclStore store = zookeeper.owned(new AclStore(zk, authorizer::load, WAIT));
        store.start();
        assertThat(store.awaitInitialized(WAIT)).isTrue();
        return new Broker(zk, store, authorizer);
    }

    @Test
    void anAclCreatedThroughOneBrokerIsEnforcedByEveryBroker() throws Exception {
        Broker one = broker();
        Broker two = broker();
        assertThat(two.read("orders")).isEqualTo(AuthorizationResult.DENIED);

        assertThat(one.store().createAcls(List.of(allow("orders", "User:alice", AclOperation.READ))))
                .containsExactly(AclCreateResult.SUCCESS);

        assertThat(one.read("orders")).as("the writing broker reads its own write at once")
                .isEqualTo(AuthorizationResult.ALLOWED);
        await().atMost(WAIT).until(() -> two.read("orders") == AuthorizationResult.ALLOWED);
        assertThat(two.store().describe(AclBindingFilter.ANY))
                .containsExactly(allow("orders", "User:alice", AclOperation.READ));
    }

    @Test
    void createAnswersEachBindingInOrderAndStoresEachAclOnce() throws Exception {
        Broker broker = broker();
        AclBinding read = allow("orders", "User:alice", AclOperation.READ);
        AclBinding write = deny("orders", "User:bob", AclOperation.WRITE);
        AclBinding invalid = allow("", "User:alice", AclOperation.READ);

        List<AclCreateResult> results = broker.store().createAcls(List.of(read, invalid, write, read));

        assertThat(results).containsExactly(AclCreateResult.SUCCESS,
                new AclCreateResult(ApiError.of(SecurityError.INVALID_REQUEST, "Invalid empty resource name")),
                AclCreateResult.SUCCESS, AclCreateResult.SUCCESS);
        assertThat(broker.store().createAcls(List.of(read))).containsExactly(AclCreateResult.SUCCESS);
        assertThat(broker.store().describe(AclBindingFilter.ANY)).containsExactly(read, write);
        Stat stat = new Stat();
        String json = new String(broker.zk().getData().storingStatIn(stat).forPath("/acls/Topic/LITERAL/orders"),
                StandardCharsets.UTF_8);
        assertThat(json).isEqualTo("{\"version\":1,\"acls\":["
                + "{\"principal\":\"User:alice\",\"host\":\"*\",\"operation\":\"READ\",\"permissionType\":\"ALLOW\"},"
                + "{\"principal\":\"User:bob\",\"host\":\"*\",\"operation\":\"WRITE\",\"permissionType\":\"DENY\"}]}");
        assertThat(stat.getVersion()).as("both entries in one write; an existing ACL writes nothing").isZero();
    }

    @Test
    void namesAreEncodedIntoOnePathSegment() throws Exception {
        Broker broker = broker();
        AclBinding slashGroup = new AclBinding(ResourcePattern.literal(ResourceType.GROUP, "team/app"),
                new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
        AclBinding dot = new AclBinding(ResourcePattern.prefixed(ResourceType.TRANSACTIONAL_ID, "."),
                new AccessControlEntry("User:alice", "*", AclOperation.WRITE, AclPermissionType.ALLOW));
        AclBinding wildcard = allow("*", "User:*", AclOperation.DESCRIBE);

        broker.store().createAcls(List.of(slashGroup, dot, wildcard));

        assertThat(broker.zk().getChildren().forPath("/acls/Group/LITERAL")).containsExactly("team%2Fapp");
        assertThat(broker.zk().getChildren().forPath("/acls/TransactionalId/PREFIXED")).containsExactly("%2E");
        assertThat(broker.zk().getChildren().forPath("/acls/Topic/LITERAL")).containsExactly("%2A");
        assertThat(broker.store().describe(AclBindingFilter.ANY)).containsExactlyInAnyOrder(slashGroup, dot, wildcard);
        assertThat(broker.read("anything")).isEqualTo(AuthorizationResult.DENIED);
        assertThat(broker.authorizer().authorize(ALICE, "h", AclOperation.DESCRIBE, ResourceType.TOPIC, "anything"))
                .isEqualTo(AuthorizationResult.ALLOWED);
    }

    @Test
    void deleteRemovesWhatEachFilterMatchesAndDropsEmptiedNodes() throws Exception {
        Broker one = broker();
        Broker two = broker();
        AclBinding aliceReads = allow("orders", "User:alice", AclOperation.READ);
        AclBinding bobWrites = allow("orders", "User:bob", AclOperation.WRITE);
        AclBinding prefix = new AclBinding(ResourcePattern.prefixed(ResourceType.TOPIC, "ord"),
                new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
        AclBinding other = allow("payments", "User:alice", AclOperation.READ);
        one.store().createAcls(List.of(aliceReads, bobWrites, prefix, other));
        await().atMost(WAIT).until(() -> two.store().current().size() == 4);

        AclBindingFilter everythingAliceMayReadOnOrders = new AclBindingFilter(
                new ResourcePatternFilter(ResourceType.TOPIC, "orders", PatternType.MATCH),
                new AccessControlEntryFilter("User:alice", null, AclOperation.ANY, AclPermissionType.ANY));
        AclBindingFilter invalid = new AclBindingFilter(
                new ResourcePatternFilter(ResourceType.UNKNOWN, null, PatternType.ANY), AccessControlEntryFilter.ANY);
        List<AclDeleteResult> results = two.store().deleteAcls(List.of(everythingAliceMayReadOnOrders, invalid,
                aliceReads.toFilter(), new AclBindingFilter(ResourcePatternFilter.ANY, new AccessControlEntryFilter(
                        "User:nobody", null, AclOperation.ANY, AclPermissionType.ANY))));

        assertThat(results.get(0).error()).isEqualTo(ApiError.NONE);
        assertThat(results.get(0).deleted()).containsExactlyInAnyOrder(aliceReads, prefix);
        assertThat(results.get(1)).isEqualTo(AclDeleteResult.failed(
                ApiError.of(SecurityError.INVALID_REQUEST, "Unknown patternFilter.")));
        assertThat(results.get(2).deleted()).as("a binding two filters match is listed under both")
                .containsExactly(aliceReads);
        assertThat(results.get(3)).isEqualTo(new AclDeleteResult(ApiError.NONE, List.of()));
        assertThat(two.store().describe(AclBindingFilter.ANY)).containsExactlyInAnyOrder(bobWrites, other);
        assertThat(one.zk().checkExists().forPath("/acls/Topic/PREFIXED/ord")).as("emptied node").isNull();
        await().atMost(WAIT).until(() -> one.store().current().size() == 2);
        assertThat(one.read("orders")).isEqualTo(AuthorizationResult.DENIED);
    }

    @Test
    void concurrentWritesThroughTwoBrokersLoseNothing() throws Exception {
        Broker one = broker();
        Broker two = broker();
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int writer = 0; writer < 4; writer++) {
                AclStore store = writer % 2 == 0 ? one.store() : two.store();
                int first = writer * 25;
                writes.add(CompletableFuture.runAsync(() -> {
                    for (int i = first; i < first + 25; i++) {
                        try {
                            assertThat(store.createAcls(List.of(allow("shared", "User:u" + i, AclOperation.READ))))
                                    .containsExactly(AclCreateResult.SUCCESS);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }, writers));
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();
        } finally {
            writers.shutdownNow();
        }

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(one.store().current().size()).isEqualTo(100);
            assertThat(two.store().current().size()).isEqualTo(100);
        });
    }

    @Test
    void theAuthorizerDecidesOnlyOnceTheStoredAclsHaveLoaded() throws Exception {
        broker().store().createAcls(List.of(deny("orders", "User:alice", AclOperation.READ)));
        Authorizer authorizer = new Authorizer(Set.of(), true);
        AclStore store = zookeeper.owned(new AclStore(zookeeper.newClient(), authorizer::load, WAIT));

        assertThat(store.isInitialized()).isFalse();
        assertThat(authorizer.isReady()).isFalse();
        store.start();
        assertThat(store.awaitInitialized(WAIT)).isTrue();

        assertThat(authorizer.authorize(ALICE, "h", AclOperation.READ, ResourceType.TOPIC, "orders"))
                .isEqualTo(AuthorizationResult.DENIED);
        assertThat(authorizer.authorize(ALICE, "h", AclOperation.READ, ResourceType.TOPIC, "others"))
                .isEqualTo(AuthorizationResult.ALLOWED);
    }

    @Test
    void nodesThatCannotBeReadAreIgnored() throws Exception {
        CuratorFramework zk = zookeeper.newClient();
        zk.create().creatingParentsIfNeeded().forPath("/acls/Topic/LITERAL/junk", "{not json".getBytes());
        zk.create().creatingParentsIfNeeded().forPath("/acls/Bogus/LITERAL/x", "{}".getBytes());
        zk.create().creatingParentsIfNeeded().forPath("/acls/Topic/MATCH/x", "{}".getBytes());
        Broker broker = broker();
        broker.store().createAcls(List.of(allow("orders", "User:alice", AclOperation.READ)));

        zk.setData().forPath("/acls/Topic/LITERAL/junk", "[]".getBytes());
        broker.store().createAcls(List.of(allow("later", "User:alice", AclOperation.READ))); // after the junk

        assertThat(broker.store().describe(AclBindingFilter.ANY)).containsExactly(
                allow("later", "User:alice", AclOperation.READ), allow("orders", "User:alice", AclOperation.READ));
        assertThat(broker.read("orders")).isEqualTo(AuthorizationResult.ALLOWED);
    }

    @Test
    void theWatchCarriesOnAfterTheSessionExpires() throws Exception {
        Broker one = broker();
        Broker two = broker();

        zookeeper.expireSession(two.zk());
        one.store().createAcls(List.of(allow("orders", "User:alice", AclOperation.READ)));

        await().atMost(WAIT).until(() -> two.read("orders") == AuthorizationResult.ALLOWED);
        one.store().createAcls(List.of(allow("later", "User:alice", AclOperation.READ)));
        await().atMost(WAIT).until(() -> two.read("later") == AuthorizationResult.ALLOWED);
    }

    @Test
    void theLayoutIsZkPaths() {
        assertThat(AclStore.path(ResourcePattern.prefixed(ResourceType.TRANSACTIONAL_ID, "tx/1")))
                .isEqualTo(ZkPaths.aclPattern("TransactionalId", "PREFIXED", "tx/1"))
                .isEqualTo("/acls/TransactionalId/PREFIXED/tx%2F1");
    }
}
