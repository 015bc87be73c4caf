package dev.runnel.broker;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.broker.config.AuthorizerProperties;
import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.security.AclStore;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.BrokerAuthentication;
import dev.runnel.broker.security.SaslMechanisms;
import dev.runnel.broker.security.SaslServerExchange;
import dev.runnel.broker.security.SaslServerExchanges;
import dev.runnel.broker.security.ScramCredentialStore;
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
    /** How long a write through this broker waits to show in its own view (read your writes). */
    private static final Duration VISIBILITY_WAIT = Duration.ofSeconds(10);

    @Bean(destroyMethod = "close")
    ScramCredentialStore scramCredentialStore(CuratorFramework curator, ClusterSettings cluster) throws Exception {
        ScramCredentialStore store = new ScramCredentialStore(curator.usingNamespace(cluster.getNamespace()),
                VISIBILITY_WAIT);
        store.start();
        if (!store.awaitInitialized(INITIAL_LOAD)) {
            store.close();
            throw new IllegalStateException("the SCRAM credentials did not load from ZooKeeper within " + INITIAL_LOAD);
        }
        return store;
    }

    /** The authorizer, or none when {@code runnel.broker.authorizer.enabled} is false. */
    @Bean
    AuthorizerHolder authorizer(BrokerProperties properties) {
        AuthorizerProperties settings = properties.getAuthorizer();
        return new AuthorizerHolder(settings.isEnabled() ? new Authorizer(Authorizer.parseSuperUsers(
                settings.getSuperUsers()), settings.isAllowEveryoneIfNoAclFound()) : null);
    }

    /** The ACLs, loaded into the authorizer (if any) now and whenever they change. */
    @Bean(destroyMethod = "close")
    AclStore aclStore(CuratorFramework curator, ClusterSettings cluster, AuthorizerHolder authorizer) throws Exception {
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
        return store;
    }

    /** The user mechanisms of {@code runnel.broker.sasl.enabled-mechanisms}, in that order, and the brokers' own. */
    @Bean
    SaslMechanisms saslMechanisms(BrokerProperties properties, BrokerAuthentication brokerAuthentication,
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
