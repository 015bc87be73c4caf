package dev.runnel.cluster.zookeeper;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.cloud.zookeeper.CuratorFrameworkCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * ZooKeeper authentication for a service's Curator client (the one Spring Cloud Zookeeper builds),
 * through a {@link CuratorFrameworkCustomizer}: with {@code runnel.zookeeper.auth.password} set, the
 * client authenticates with the digest scheme on every connection and creates every node with
 * {@link NamespaceAcls} (a {@link NamespaceAcls} bean exists only then). Imported by the
 * controller, the broker and the gateway.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(CuratorFrameworkCustomizer.class)
public class ZooKeeperAuthConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ZooKeeperAuthConfiguration.class);

    static final String PASSWORD = "runnel.zookeeper.auth.password";

    @Bean
    @ConfigurationProperties("runnel.zookeeper")
    ZooKeeperSettings zooKeeperSettings() {
        return new ZooKeeperSettings();
    }

    @Bean
    @Conditional(AuthEnabled.class)
    NamespaceAcls namespaceAcls(ZooKeeperSettings settings, @Value("${runnel.cluster.namespace:runnel}") String namespace) {
        return new NamespaceAcls(namespace, settings.getAuth().getUsername(), settings.getAuth().getPassword());
    }

    @Bean
    CuratorFrameworkCustomizer zooKeeperAuthentication(ZooKeeperSettings settings, ObjectProvider<NamespaceAcls> acls,
            @Value("${runnel.cluster.namespace:runnel}") String namespace) {
        NamespaceAcls namespaceAcls = acls.getIfAvailable();
        if (namespaceAcls == null) {
            log.warn("{} is not set: this service does not authenticate to ZooKeeper, and the nodes it creates under "
                    + "/{} are open to every ZooKeeper client", PASSWORD, namespace);
            return builder -> { };
        }
        ZooKeeperSettings.Auth auth = settings.getAuth();
        byte[] credentials = NamespaceAcls.credentials(auth.getUsername(), auth.getPassword());
        return builder -> builder.authorization("digest", credentials).aclProvider(namespaceAcls);
    }

    /** A non-empty {@code runnel.zookeeper.auth.password}. */
    static final class AuthEnabled extends SpringBootCondition {

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String password = context.getEnvironment().getProperty(PASSWORD);
            return password == null || password.isEmpty() ? ConditionOutcome.noMatch(PASSWORD + " is not set")
                    : ConditionOutcome.match(PASSWORD + " is set");
        }
    }
}
