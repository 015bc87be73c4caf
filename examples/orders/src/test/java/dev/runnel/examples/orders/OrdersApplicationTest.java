package dev.runnel.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.http.ResponseEntity;

import dev.runnel.test.EmbeddedRunnel;
import dev.runnel.test.RunnelCluster;

/**
 * The whole application against a Runnel cluster in this JVM: {@code @EmbeddedRunnel} starts one
 * broker with the context and points the starter at it, the application creates its topic, an
 * order is placed through the controller and the billing {@code @LogListener} bills it.
 */
@SpringBootTest(properties = {"orders.partitions=3", "orders.replication-factor=1"})
@EmbeddedRunnel
class OrdersApplicationTest {

    private static long classStarted;

    @Autowired
    OrderController orders;

    @Autowired
    Billing billing;

    @BeforeAll
    static void startClock() {
        classStarted = System.nanoTime();
    }

    @AfterAll
    static void printDuration() {
        System.out.printf("ORDERS-TEST the test class, cluster and application start included, took %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - classStarted));
    }

    @Test
    void anOrderPlacedIsBilledByTheListener(RunnelCluster cluster) throws Exception {
        assertThat(cluster.bootstrapServers()).startsWith("127.0.0.1:");
        System.out.println("ORDERS-TEST " + cluster);
        BigDecimal before = billing.billed();

        ResponseEntity<Map<String, Object>> answer = orders
                .place(new Order("o-1", "ada", "book", 2, new BigDecimal("12.50"))).get(30, TimeUnit.SECONDS);

        assertThat(answer.getStatusCode().value()).isEqualTo(202);
        assertThat(answer.getBody()).containsEntry("topic", "orders").containsEntry("id", "o-1");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(
                () -> assertThat(billing.billed().subtract(before)).isEqualByComparingTo("25.00"));
    }
}
