package dev.runnel.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** {@code @EmbeddedRunnel} on plain JUnit 5 classes, run here through the JUnit Platform launcher. */
class EmbeddedRunnelExtensionTest {

    @Test
    void theClusterRunsForTheClassIsInjectedAndIsClosedAfterItsLastTest() {
        TestExecutionSummary summary = run(AnnotatedTests.class);

        assertThat(summary.getFailures()).as("failures").isEmpty();
        assertThat(summary.getTestsSucceededCount()).isEqualTo(3);
        assertThat(AnnotatedTests.seen).isNotNull();
        assertThat(AnnotatedTests.seen.isClosed()).as("closed after the class").isTrue();
        assertThat(System.getProperty(EmbeddedRunnel.BOOTSTRAP_SERVERS_PROPERTY)).as("property cleared").isNull();
    }

    private static TestExecutionSummary run(Class<?> testClass) {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass))
                .build(), listener);
        return listener.getSummary();
    }

    /** Not run by Surefire (a nested class): the test above runs it. */
    @EmbeddedRunnel(topics = {"orders", "payments"}, partitions = 2)
    static class AnnotatedTests {

        static RunnelCluster seen;

        private final RunnelCluster cluster;

        AnnotatedTests(RunnelCluster cluster) {
            this.cluster = cluster;
        }

        @Test
        void theTopicsExistAndTheSystemPropertyNamesTheCluster(RunnelCluster parameter) throws Exception {
            assertThat(parameter).isSameAs(cluster);
            seen = cluster;
            assertThat(System.getProperty(EmbeddedRunnel.BOOTSTRAP_SERVERS_PROPERTY)).isEqualTo(cluster.bootstrapServers());
            try (Admin admin = Admin.create(cluster.clientProperties())) {
                assertThat(admin.describeTopics(List.of("orders", "payments")).allTopicNames().get().values())
                        .allSatisfy(t -> assertThat(t.partitions()).hasSize(2));
            }
        }

        @Test
        void aProducerAndAConsumerGroupWork() throws Exception {
            RunnelClusterTest.produce(System.getProperty(EmbeddedRunnel.BOOTSTRAP_SERVERS_PROPERTY), "orders", 5);
            assertThat(RunnelClusterTest.consume(cluster.bootstrapServers(), "orders", "billing", 5)).hasSize(5);
        }

        @Nested
        class Inner {

            @Test
            void aNestedClassSharesTheCluster(RunnelCluster parameter) {
                assertThat(parameter).isSameAs(cluster);
            }
        }
    }
}
