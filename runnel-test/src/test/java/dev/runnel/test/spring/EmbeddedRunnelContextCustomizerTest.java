package dev.runnel.test.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.context.support.GenericApplicationContext;

import dev.runnel.test.EmbeddedRunnel;
import dev.runnel.test.RunnelCluster;

class EmbeddedRunnelContextCustomizerTest {

    @EmbeddedRunnel
    static class Annotated {
    }

    static class NotAnnotated {
    }

    @Test
    void theClusterStartsWithTheContextAndIsClosedWithIt() {
        var customizer = new EmbeddedRunnelContextCustomizerFactory().createContextCustomizer(Annotated.class, List.of());
        RunnelCluster cluster;
        try (GenericApplicationContext context = new GenericApplicationContext()) {
            customizer.customizeContext(context, null);
            context.refresh();
            cluster = context.getBean(RunnelCluster.class);
            assertThat(context.getEnvironment().getProperty("runnel.client.bootstrap-servers"))
                    .isEqualTo(cluster.bootstrapServers());
            assertThat(cluster.isClosed()).isFalse();
        }
        assertThat(cluster.isClosed()).isTrue();
    }

    @Test
    void onlyAnnotatedTestClassesGetACluster() {
        var factory = new EmbeddedRunnelContextCustomizerFactory();
        assertThat(factory.createContextCustomizer(NotAnnotated.class, List.of())).isNull();
        assertThat(factory.createContextCustomizer(Annotated.class, List.of()))
                .as("equal for equal annotations, so Spring's context cache can share the context")
                .isEqualTo(factory.createContextCustomizer(Annotated.class, List.of()));
    }
}
