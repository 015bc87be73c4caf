package dev.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.curator.framework.CuratorFramework;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** SCRAM credentials in ZooKeeper: KIP-554's rules, and a user altered through one broker logging in on another. */
class ScramCredentialStoreTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] DECOY_KEY = "cluster-secret".getBytes(StandardCharsets.UTF_8);
    private static final byte SHA_256 = ScramMechanism.SCRAM_SHA_256.type();
    private static final byte SHA_512 = ScramMechanism.SCRAM_SHA_512.type();

    private SecurityZooKeeper zookeeper;

    @BeforeEach
    void startZooKeeper() throws Exception {
        zookeeper = new SecurityZooKeeper();
    }

    @AfterEach
    void stopZooKeeper() throws Exception {
        zookeeper.close();
    }

    private ScramCredentialStore store() throws Exception {
        return store(zookeeper.newClient());
    }

    private ScramCredentialStore store(CuratorFramework zk) throws Exception {
        ScramCredentialStore store = zookeeper.owned(new ScramCredentialStore(zk, WAIT));
        store.start();
        assertThat(store.awaitInitialized(WAIT)).isTrue();
        return store;
    }

    /** The upsertion Kafka's admin client sends for {@code password}: it salts the password itself. */
    private static ScramUpsertion upsertion(String user, ScramMechanism mechanism, String password, int iterations)
            throws Exception {
        ScramFormatter kafka = new ScramFormatter(org.apache.kafka.common.security.scram.internals.ScramMechanism
                .forMechanismName(mechanism.mechanismName()));
        byte[] salt = kafka.secureRandomBytes();
        return new ScramUpsertion(user, mechanism.type(), iterations, salt, kafka.saltedPassword(password, salt,
                iterations));
    }

    private static ApiError error(SecurityError error, String message) {
        return ApiError.of(error, message);
    }

    @ParameterizedTest
    @EnumSource(ScramMechanism.class)
    void aUserAlteredThroughOneBrokerLogsInOnAnother(ScramMechanism mechanism) throws Exception {
        ScramCredentialStore one = store();
        ScramCredentialStore two = store();
        SaslServerExchanges exchanges = new SaslServerExchanges(two, DECOY_KEY);

        assertThat(one.alter(List.of(), List.of(upsertion("alice", mechanism, "alice-secret", 8192))))
                .containsExactly(new AlterScramResult("alice", ApiError.NONE));
        assertThat(one.credential("alice", mechanism)).as("the writing broker reads its own write").isPresent();
        await().atMost(WAIT).until(() -> two.credential("alice", mechanism).isPresent());

        SaslServerExchange scram = exchanges.create(mechanism.mechanismName()).orElseThrow();
        assertThat(TestCredentials.kafkaClient(scram, "alice", "alice-secret", Map.of()).clientVerifiedServer()).isTrue();
        assertThat(scram.authorizedUser()).isEqualTo("alice");
        SaslServerExchange plain = exchanges.create("PLAIN").orElseThrow();
        plain.evaluate("\0alice\0alice-secret".getBytes(StandardCharsets.UTF_8));
        assertThat(plain.authorizedUser()).isEqualTo("alice");
        assertThatThrownBy(() -> TestCredentials.kafkaClient(exchanges.create(mechanism.mechanismName()).orElseThrow(),
                "alice", "wrong", Map.of())).isInstanceOf(SaslAuthenticationException.class);
    }

    @Test
    void theNodeKeepsDerivedKeysAndNeverThePasswordOrTheSaltedPassword() throws Exception {
        CuratorFramework zk = zookeeper.newClient();
        ScramCredentialStore store = store(zk);
        ScramUpsertion upsertion = upsertion("bob/ops", ScramMechanism.SCRAM_SHA_256, "bob-secret", 4096);

        store.alter(List.of(), List.of(upsertion));

        String json = new String(zk.getData().forPath("/users/bob%2Fops"), StandardCharsets.UTF_8);
        ScramCredential stored = store.credential("bob/ops", ScramMechanism.SCRAM_SHA_256).orElseThrow();
        Base64.Encoder base64 = Base64.getEncoder();
        assertThat(json).startsWith("{\"version\":1,\"credentials\":{\"SCRAM-SHA-256\":{")
                .contains(base64.encodeToString(stored.storedKey()), base64.encodeToString(stored.serverKey()),
                        base64.encodeToString(upsertion.salt()), "\"iterations\":4096")
                .doesNotContain(base64.encodeToString(upsertion.saltedPassword())).doesNotContain("bob-secret");
        assertThat(upsertion.toString()).doesNotContain(base64.encodeToString(upsertion.saltedPassword()));
    }

    @Test
    void alterRefusesWhatKafkaRefuses() throws Exception {
        ScramCredentialStore store = store();
        store.alter(List.of(), List.of(upsertion("dave", ScramMechanism.SCRAM_SHA_256, "d", 4096)));

        List<AlterScramResult> results = store.alter(
                List.of(new ScramDeletion("twice", SHA_256), new ScramDeletion("", SHA_256),
                        new ScramDeletion("nobody", SHA_256), new ScramDeletion("unknown-mechanism", (byte) 0),
                        new ScramDeletion("dave", SHA_512)),
                List.of(upsertion("twice", ScramMechanism.SCRAM_SHA_512, "t", 4096),
                        upsertion("few", ScramMechanism.SCRAM_SHA_256, "f", 4095),
                        upsertion("many", ScramMechanism.SCRAM_SHA_256, "m", 16385),
                        new ScramUpsertion("mechanism-3", (byte) 3, 4096, new byte[] {1}, new byte[] {2}),
                        upsertion("fine", ScramMechanism.SCRAM_SHA_512, "f", 16384),
                        upsertion("double", ScramMechanism.SCRAM_SHA_256, "a", 4096),
                        upsertion("double", ScramMechanism.SCRAM_SHA_512, "b", 4096)));

        String duplicate = "A user credential cannot be altered twice in the same request";
        assertThat(results).containsExactly(
                new AlterScramResult("twice", error(SecurityError.DUPLICATE_RESOURCE, duplicate)),
                new AlterScramResult("", error(SecurityError.UNACCEPTABLE_CREDENTIAL, "Username must not be empty")),
                new AlterScramResult("nobody", error(SecurityError.RESOURCE_NOT_FOUND,
                        "Attempt to delete a user credential that does not exist")),
                new AlterScramResult("unknown-mechanism", error(SecurityError.UNSUPPORTED_SASL_MECHANISM,
                        "Unknown SCRAM mechanism")),
                new AlterScramResult("dave", error(SecurityError.RESOURCE_NOT_FOUND,
                        "Attempt to delete a user credential that does not exist")),
                new AlterScramResult("few", error(SecurityError.UNACCEPTABLE_CREDENTIAL, "Too few iterations")),
                new AlterScramResult("many", error(SecurityError.UNACCEPTABLE_CREDENTIAL, "Too many iterations")),
                new AlterScramResult("mechanism-3", error(SecurityError.UNSUPPORTED_SASL_MECHANISM,
                        "Unknown SCRAM mechanism")),
                new AlterScramResult("fine", ApiError.NONE),
                new AlterScramResult("double", error(SecurityError.DUPLICATE_RESOURCE, duplicate)));
        assertThat(store.describe(null)).extracting(DescribeScramResult::user).containsExactly("dave", "fine");
    }

    @Test
    void deletingTheLastCredentialDeletesTheUsersNode() throws Exception {
        CuratorFramework zk = zookeeper.newClient();
        ScramCredentialStore store = store(zk);
        store.alter(List.of(), List.of(upsertion("erin", ScramMechanism.SCRAM_SHA_256, "e", 4096)));
        store.alter(List.of(), List.of(upsertion("erin", ScramMechanism.SCRAM_SHA_512, "e", 4096)));

        assertThat(store.alter(List.of(new ScramDeletion("erin", SHA_256)), List.of()))
                .containsExactly(new AlterScramResult("erin", ApiError.NONE));
        assertThat(zk.checkExists().forPath("/users/erin")).isNotNull();
        assertThat(store.credential("erin", ScramMechanism.SCRAM_SHA_256)).isEmpty();
        assertThat(store.delete("erin", ScramMechanism.SCRAM_SHA_512)).isTrue();
        assertThat(store.delete("erin", ScramMechanism.SCRAM_SHA_512)).isFalse();

        assertThat(zk.checkExists().forPath("/users/erin")).isNull();
        assertThat(store.credential("erin", ScramMechanism.SCRAM_SHA_512)).isEmpty();
    }

    @Test
    void describeFollowsKafkasRules() throws Exception {
        ScramCredentialStore store = store();
        store.alter(List.of(), List.of(upsertion("zoe", ScramMechanism.SCRAM_SHA_256, "z", 4096),
                upsertion("amy", ScramMechanism.SCRAM_SHA_512, "a", 8192)));
        store.alter(List.of(), List.of(upsertion("zoe", ScramMechanism.SCRAM_SHA_512, "z", 16384)));

        assertThat(store.describe(List.of())).containsExactly(
                new DescribeScramResult("amy", ApiError.NONE,
                        List.of(new DescribeScramResult.CredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192))),
                new DescribeScramResult("zoe", ApiError.NONE,
                        List.of(new DescribeScramResult.CredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096),
                                new DescribeScramResult.CredentialInfo(ScramMechanism.SCRAM_SHA_512, 16384))));
        assertThat(store.describe(List.of("zoe", "nobody", "amy", "zoe"))).containsExactly(
                new DescribeScramResult("zoe", error(SecurityError.DUPLICATE_RESOURCE,
                        "Cannot describe SCRAM credentials for the same user twice in a single request: zoe"), List.of()),
                new DescribeScramResult("nobody", error(SecurityError.RESOURCE_NOT_FOUND,
                        "Attempt to describe a user credential that does not exist: nobody"), List.of()),
                new DescribeScramResult("amy", ApiError.NONE,
                        List.of(new DescribeScramResult.CredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192))));
    }

    @Test
    void concurrentAlterationsOfOneUserThroughTwoBrokersKeepBothMechanisms() throws Exception {
        ScramCredentialStore one = store();
        ScramCredentialStore two = store();
        ScramUpsertion sha256 = upsertion("frank", ScramMechanism.SCRAM_SHA_256, "f", 4096);
        ScramUpsertion sha512 = upsertion("frank", ScramMechanism.SCRAM_SHA_512, "f", 4096);

        for (int round = 0; round < 20; round++) {
            CompletableFuture<List<AlterScramResult>> first = CompletableFuture.supplyAsync(() -> alter(one, sha256));
            CompletableFuture<List<AlterScramResult>> second = CompletableFuture.supplyAsync(() -> alter(two, sha512));
            assertThat(first.get()).containsExactly(new AlterScramResult("frank", ApiError.NONE));
            assertThat(second.get()).containsExactly(new AlterScramResult("frank", ApiError.NONE));
        }

        await().atMost(WAIT).untilAsserted(() -> assertThat(one.describe(List.of("frank")).get(0).credentials())
                .hasSize(2));
    }

    private static List<AlterScramResult> alter(ScramCredentialStore store, ScramUpsertion upsertion) {
        try {
            return store.alter(List.of(), List.of(upsertion));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void authenticationFailsClosedUntilTheCredentialsHaveLoaded() throws Exception {
        store().upsert("gina", ScramMechanism.SCRAM_SHA_256, ScramCrypto.newCredential(ScramMechanism.SCRAM_SHA_256,
                "gina-secret", 4096, new SecureRandom()));
        ScramCredentialStore late = zookeeper.owned(new ScramCredentialStore(zookeeper.newClient(), WAIT));
        SaslServerExchanges exchanges = new SaslServerExchanges(late, DECOY_KEY);

        assertThatThrownBy(() -> exchanges.create("PLAIN").orElseThrow()
                .evaluate("\0gina\0gina-secret".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SaslAuthenticationException.class);
        late.start();
        assertThat(late.awaitInitialized(WAIT)).isTrue();

        SaslServerExchange plain = exchanges.create("PLAIN").orElseThrow();
        plain.evaluate("\0gina\0gina-secret".getBytes(StandardCharsets.UTF_8));
        assertThat(plain.authorizedUser()).isEqualTo("gina");
        assertThatThrownBy(() -> late.upsert("", ScramMechanism.SCRAM_SHA_256, late.credential("gina",
                ScramMechanism.SCRAM_SHA_256).orElseThrow())).isInstanceOf(IllegalArgumentException.class);
    }
}
