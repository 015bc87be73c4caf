package dev.runnel.broker;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.broker.config.AuthorizerProperties;
import dev.runnel.broker.config.ListenerProperties;
import dev.runnel.broker.config.SaslProperties;
import dev.runnel.broker.security.AclBinding;
import dev.runnel.broker.security.AclCreateResult;
import dev.runnel.broker.security.AclStore;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.BootstrapAcls;
import dev.runnel.broker.security.BrokerAuthentication;
import dev.runnel.broker.security.SaslMechanisms;
import dev.runnel.broker.security.SaslServerExchange;
import dev.runnel.broker.security.SaslServerExchanges;
import dev.runnel.broker.security.ScramCredentialStore;
import dev.runnel.broker.security.ScramCrypto;
import dev.runnel.broker.security.ScramMechanism;
import dev.runnel.cluster.ClusterSettings;

/**
 * Wires who clients are and what they may do: the SCRAM credentials and the ACLs, both kept in
 * ZooKeeper and watched (every broker sees a change made through any of them), the SASL mechanisms
 * of the SASL listeners, and the authorizer when {@code runnel.broker.authorizer.enabled}. Both
 * stores have loaded before the Kafka listener starts: a broker never authenticates or authorizes
 * against an empty view.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    /** How long a broker waits at start for the stores' first load from ZooKeeper. */
    private static final Duration INITIAL_LOAD = Duration.ofSeconds(60);
    /** The iterations of a bootstrap user's credentials (Kafka's tools use 4096; more is slower to guess). */
    private static final int BOOTSTRAP_ITERATIONS = 8192;

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

    /** How long a write through this broker waits to show in its own view (read your writes). */
    private static final Duration VISIBILITY_WAIT = Duration.ofSeconds(10);

    @Bean(destroyMethod = "close")
    ScramCredentialStore scramCredentialStore(CuratorFramework curator, ClusterSettings cluster,
            ListenerProperties properties) throws Exception {
        ScramCredentialStore store = new ScramCredentialStore(curator.usingNamespace(cluster.getNamespace()),
                VISIBILITY_WAIT);
        store.start();
        try {
            if (!store.awaitInitialized(INITIAL_LOAD)) {
                throw new IllegalStateException("the SCRAM credentials did not load from ZooKeeper within "
                        + INITIAL_LOAD);
            }
            createBootstrapUsers(store, properties.getSasl());
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        return store;
    }

    /**
     * Gives each bootstrap user without a credential one for both SCRAM mechanisms. A user that has
     * any credential is left as it is: the password may have been changed since.
     */
    static void createBootstrapUsers(ScramCredentialStore store, SaslProperties sasl) throws Exception {
        List<String> entries = new ArrayList<>(sasl.getBootstrapUsers());
        if (sasl.getBootstrapUsersFile() != null) {
            for (String line : Files.readAllLines(sasl.getBootstrapUsersFile(), StandardCharsets.UTF_8)) {
                if (!line.isBlank() && !line.strip().startsWith("#")) {
                    entries.add(line.strip());
                }
            }
        }
        SecureRandom random = new SecureRandom();
        for (String entry : entries) {
            int colon = entry.indexOf(':');
            if (colon <= 0 || colon == entry.length() - 1) {
                // Never the entry itself in the message: it holds a password.
                throw new IllegalArgumentException("runnel.broker.sasl.bootstrap-users: an entry is not name:password");
            }
            String user = entry.substring(0, colon);
            String password = entry.substring(colon + 1);
            if (Arrays.stream(ScramMechanism.values()).anyMatch(m -> store.credential(user, m).isPresent())) {
                continue;
            }
            for (ScramMechanism mechanism : ScramMechanism.values()) {
                store.upsert(user, mechanism, ScramCrypto.newCredential(mechanism, password, BOOTSTRAP_ITERATIONS,
                        random));
            }
            log.info("SCRAM credentials created for bootstrap user {}", user);
        }
    }

    /** The authorizer, or none when {@code runnel.broker.authorizer.enabled} is false. */
    @Bean
    AuthorizerHolder authorizer(ListenerProperties properties) {
        AuthorizerProperties settings = properties.getAuthorizer();
        return new AuthorizerHolder(settings.isEnabled() ? new Authorizer(Authorizer.parseSuperUsers(
                settings.getSuperUsers()), settings.isAllowEveryoneIfNoAclFound()) : null);
    }

    /** The ACLs, loaded into the authorizer (if any) now and whenever they change. */
    @Bean(destroyMethod = "close")
    AclStore aclStore(CuratorFramework curator, ClusterSettings cluster, AuthorizerHolder authorizer,
            ListenerProperties properties) throws Exception {
        AclStore store = new AclStore(curator.usingNamespace(cluster.getNamespace()), index -> {
            if (authorizer.authorizer() != null) {
                authorizer.authorizer().load(index);
            }
        }, VISIBILITY_WAIT);
        store.start();
        if (!store.awaitInitialized(INITIAL_LOAD)) {
            store.close();
            throw new IllegalStateException("the ACLs did not load from ZooKeeper within " + INITIAL_LOAD);
        }
        try {
            createBootstrapAcls(store, properties.getAuthorizer());
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** Makes the bootstrap ACLs that are missing; an ACL already stored is not written again. */
    static void createBootstrapAcls(AclStore store, AuthorizerProperties settings) throws Exception {
        List<AclBinding> wanted = BootstrapAcls.read(settings.getBootstrapAcls(), settings.getBootstrapAclsFile());
        List<AclBinding> missing = wanted.stream()
                .filter(binding -> store.describe(binding.toFilter()).isEmpty()).distinct().toList();
        if (missing.isEmpty()) {
            return;
        }
        List<AclCreateResult> results = store.createAcls(missing);
        for (int i = 0; i < missing.size(); i++) {
            if (results.get(i).error().isFailure()) {
                throw new IllegalStateException("Could not create the bootstrap ACL " + missing.get(i) + ": "
                        + results.get(i).error().message());
            }
            log.info("Bootstrap ACL created: {}", missing.get(i));
        }
    }

    /** The user mechanisms of {@code runnel.broker.sasl.enabled-mechanisms}, in that order, and the brokers' own. */
    @Bean
    SaslMechanisms saslMechanisms(ListenerProperties properties, BrokerAuthentication brokerAuthentication,
            ScramCredentialStore credentials, ClusterSettings cluster) {
        SaslServerExchanges exchanges = new SaslServerExchanges(credentials, decoyKey(cluster.getSecret()));
        Map<String, Supplier<SaslServerExchange>> users = new LinkedHashMap<>();
        for (String mechanism : properties.getSasl().getEnabledMechanisms()) {
            String name = mechanism.trim();
            if (!SaslServerExchanges.MECHANISMS.contains(name)) {
                throw new IllegalArgumentException("runnel.broker.sasl.enabled-mechanisms: " + name
                        + " is not served (served: " + String.join(", ", SaslServerExchanges.MECHANISMS) + ")");
            }
            users.put(name, () -> exchanges.create(name).orElseThrow());
        }
        return new SaslMechanisms(brokerAuthentication, users);
    }

    /** Every broker derives the same key, so an unknown user meets the same decoy salt on each. */
    private static byte[] decoyKey(String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal("runnel-scram-decoy".getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** The authorizer if requests are authorized; a bean even when they are not. */
    record AuthorizerHolder(Authorizer authorizer) {
    }
}
