package dev.runnel.client.support;

import java.time.Duration;

import org.apache.kafka.clients.producer.MockProducer;

/**
 * A {@code MockProducer} with the starter's serializers that stays open when {@code KafkaTemplate}
 * closes it after each send (as it may with a producer it does not wrap itself); {@link #shut()}
 * closes it for good.
 */
public final class KeptOpenProducer extends MockProducer<Object, Object> {

    public KeptOpenProducer(boolean autoComplete, PayloadCodec codec) {
        super(autoComplete, null, new PayloadSerializer(codec, true), new PayloadSerializer(codec, false));
    }

    @Override
    public void close(Duration timeout) {
    }

    /** Closes it: sends fail from now on. */
    public void shut() {
        super.close(Duration.ZERO);
    }
}
