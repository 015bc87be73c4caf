package dev.runnel.gateway.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import dev.runnel.gateway.proxy.EmbeddedFormat;
import dev.runnel.gateway.web.ProxyException;
import dev.runnel.testing.ManualClock;

class ConsumerInstancesTest {

    final ManualClock clock = new ManualClock(1_000_000);
    final ConsumerInstances instances = new ConsumerInstances(clock, Duration.ofMinutes(5).toMillis());
    final List<MockConsumer<byte[], byte[]>> made = new ArrayList<>();

    ConsumerInstance create(String name) {
        return instances.create("g", name, EmbeddedFormat.JSON, clientId -> {
            MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
            made.add(consumer);
            return consumer;
        });
    }

    @Test
    void anInstanceIdleForLongerThanTheTimeoutIsClosedAndUsingOneKeepsItOpen() {
        create("idle");
        create("busy");

        clock.advance(Duration.ofMinutes(4));
        instances.get("g", "busy");
        clock.advance(Duration.ofMinutes(1).plusMillis(1));

        assertThat(instances.expireIdle()).containsExactly("g/idle");
        assertThat(made.get(0).closed()).isTrue();
        assertThat(made.get(1).closed()).isFalse();
        assertThatThrownBy(() -> instances.get("g", "idle")).isInstanceOf(ProxyException.class)
                .hasMessageContaining("closed after being idle");
        clock.advance(Duration.ofMinutes(5));
        assertThat(instances.expireIdle()).containsExactly("g/busy");
        assertThat(instances.size()).isZero();
    }

    @Test
    void namesAreUniquePerGroupAndChecked() {
        create("a");
        assertThatThrownBy(() -> create("a")).hasMessageContaining("already has a consumer instance a");
        assertThat(made.get(1).closed()).as("the duplicate's consumer is closed").isTrue();
        assertThatThrownBy(() -> create("no spaces")).hasMessageContaining("letters, digits");
        assertThat(create(null).name()).startsWith("rest-consumer-");
    }

    @Test
    void aPollOverMaxBytesKeepsTheRestForTheNextPoll() {
        ConsumerInstance instance = create("c");
        MockConsumer<byte[], byte[]> consumer = made.get(0);
        TopicPartition tp = new TopicPartition("t", 0);
        instance.assign(List.of(tp));
        consumer.updateBeginningOffsets(Map.of(tp, 0L));
        consumer.seek(tp, 0);
        for (int i = 0; i < 5; i++) {
            consumer.addRecord(new ConsumerRecord<>("t", 0, i, null, new byte[100]));
        }

        List<ConsumerRecord<byte[], byte[]>> first = instance.poll(Duration.ZERO, 250);

        assertThat(first).extracting(ConsumerRecord::offset).containsExactly(0L, 1L);
        assertThat(consumer.position(tp)).as("sought back to the first not returned").isEqualTo(2);
    }
}
