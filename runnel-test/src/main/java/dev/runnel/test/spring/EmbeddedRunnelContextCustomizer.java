package dev.runnel.test.spring;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.MergedContextConfiguration;
import org.springframework.util.ClassUtils;

import dev.runnel.test.EmbeddedRunnel;
import dev.runnel.test.RunnelCluster;
import dev.runnel.test.RunnelExtension;

/**
 * Starts a {@link RunnelCluster} as the application context is prepared and closes it with the
 * context (a cached context keeps its cluster until Spring's context cache closes it). The
 * cluster is the bean {@value #BEAN_NAME}; the context's environment gets, ahead of every other
 * source, {@code spring.kafka.bootstrap-servers}, {@code runnel.client.bootstrap-servers} and
 * {@value EmbeddedRunnel#BOOTSTRAP_SERVERS_PROPERTY}; with Spring Boot's Kafka support on the class
 * path, a {@code KafkaConnectionDetails} bean names the cluster too. What the services' jars
 * bring onto the application's class path is kept out of it ({@link ServiceClassPath}).
 */
final class EmbeddedRunnelContextCustomizer implements ContextCustomizer {

    /** The cluster's bean name. */
    static final String BEAN_NAME = "runnelCluster";

    static final String PROPERTY_SOURCE = "embeddedRunnel";

    private static final String CONNECTION_DETAILS = "org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails";

    private final EmbeddedRunnel settings;

    EmbeddedRunnelContextCustomizer(EmbeddedRunnel settings) {
        this.settings = settings;
    }

    @Override
    public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration mergedConfig) {
        RunnelCluster cluster = RunnelExtension.start(settings);
        try {
            String bootstrap = cluster.bootstrapServers();
            Map<String, Object> properties = new HashMap<>();
            properties.put("spring.kafka.bootstrap-servers", bootstrap);
            properties.put("runnel.client.bootstrap-servers", bootstrap);
            properties.put(EmbeddedRunnel.BOOTSTRAP_SERVERS_PROPERTY, bootstrap);
            ConfigurableEnvironment environment = context.getEnvironment();
            environment.getPropertySources().addFirst(new MapPropertySource(PROPERTY_SOURCE, properties));
            ServiceClassPath.neutralize(environment, context.getClassLoader());

            var beanFactory = context.getBeanFactory();
            beanFactory.registerSingleton(BEAN_NAME, cluster);
            ((DefaultSingletonBeanRegistry) beanFactory).registerDisposableBean(BEAN_NAME, cluster::close);
            if (ClassUtils.isPresent(CONNECTION_DETAILS, context.getClassLoader())) {
                beanFactory.registerSingleton("runnelKafkaConnectionDetails",
                        new RunnelKafkaConnectionDetails(List.of(bootstrap.split(","))));
            }
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EmbeddedRunnelContextCustomizer that && settings.equals(that.settings);
    }

    @Override
    public int hashCode() {
        return settings.hashCode();
    }
}
