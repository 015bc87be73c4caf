package dev.runnel.client.listener;

import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.support.KafkaNull;
import org.springframework.kafka.support.converter.ConversionException;
import org.springframework.kafka.support.converter.MessagingMessageConverter;

import dev.runnel.client.support.PayloadCodec;

/**
 * Spring Kafka's record-to-message conversion with the starter's payload rules ({@link
 * PayloadCodec}): the record's bytes become the listener's declared payload type, a String from
 * UTF-8, a byte array as it is, anything else from JSON. A record without a value is Spring
 * Kafka's {@code KafkaNull}. The raw record travels in the {@code kafka_data} header, for the
 * {@code @LogKey}, {@code @LogHeader}, {@code @LogPartition} and {@code @LogOffset} parameters.
 *
 * <p>A payload that cannot be converted is a {@link ConversionException} naming the record: the
 * default error handler never retries one (a poison record goes straight to the dead letters).
 */
public class LogMessageConverter extends MessagingMessageConverter {

    private final PayloadCodec codec;

    public LogMessageConverter(PayloadCodec codec) {
        this.codec = codec;
        setRawRecordHeader(true);
    }

    @Override
    protected Object extractAndConvertValue(ConsumerRecord<?, ?> record, Type type) {
        Object value = record.value();
        if (value == null) {
            return KafkaNull.INSTANCE;
        }
        if (!(value instanceof byte[] bytes) || type == null || type == Object.class || type instanceof WildcardType) {
            return value;
        }
        try {
            return codec.decode(bytes, type);
        } catch (PayloadCodec.PayloadException e) {
            throw new ConversionException("the payload of " + where(record) + " cannot be a " + type.getTypeName()
                    + ": " + e.getMessage(), record, e);
        }
    }

    static String where(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }
}
