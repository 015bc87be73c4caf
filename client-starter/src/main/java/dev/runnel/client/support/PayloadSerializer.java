package dev.runnel.client.support;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serializer} of keys or values by {@link PayloadCodec}'s rules: strings as UTF-8,
 * byte arrays as they are, anything else as JSON with its class in the type header. The producer
 * behind {@code KafkaTemplate} and {@code LogTemplate} uses it for both, so one template sends any
 * payload, and dead letters (bytes) go out unchanged.
 */
public final class PayloadSerializer implements Serializer<Object> {

    private final PayloadCodec codec;
    private final boolean key;

    /** @param key whether it serializes keys (type header {@code __Key_TypeId__}) or values */
    public PayloadSerializer(PayloadCodec codec, boolean key) {
        this.codec = codec;
        this.key = key;
    }

    @Override
    public byte[] serialize(String topic, Object data) {
        return codec.encode(data).bytes();
    }

    @Override
    public byte[] serialize(String topic, Headers headers, Object data) {
        PayloadCodec.Encoded encoded = codec.encode(data);
        if (encoded.type() != null && headers != null) {
            String name = key ? PayloadCodec.KEY_TYPE_HEADER : PayloadCodec.TYPE_HEADER;
            headers.remove(name);
            headers.add(name, encoded.type().getBytes(StandardCharsets.UTF_8));
        }
        return encoded.bytes();
    }
}
