package dev.runnel.test.spring;

import java.util.List;

import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.TestContextAnnotationUtils;

import dev.runnel.test.EmbeddedRunnel;

/**
 * Gives a Spring test context annotated with {@link EmbeddedRunnel} its own Runnel cluster
 * ({@link EmbeddedRunnelContextCustomizer}); registered in {@code META-INF/spring.factories}, as
 * spring-kafka-test registers its own for {@code @EmbeddedKafka}.
 */
public final class EmbeddedRunnelContextCustomizerFactory implements ContextCustomizerFactory {

    @Override
    public ContextCustomizer createContextCustomizer(Class<?> testClass,
            List<ContextConfigurationAttributes> configAttributes) {
        EmbeddedRunnel settings = TestContextAnnotationUtils.findMergedAnnotation(testClass, EmbeddedRunnel.class);
        return settings == null ? null : new EmbeddedRunnelContextCustomizer(settings);
    }
}
