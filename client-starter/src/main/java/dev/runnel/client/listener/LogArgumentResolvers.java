package dev.runnel.client.listener;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.springframework.core.MethodParameter;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.support.converter.ConversionException;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.invocation.HandlerMethodArgumentResolver;

import dev.runnel.client.support.PayloadCodec;

/**
 * The parameters Spring Kafka does not know: {@link LogKey @LogKey}, {@link LogHeader @LogHeader},
 * {@link LogPartition @LogPartition}, {@link LogOffset @LogOffset}, the record's {@code Headers},
 * the starter's {@link Acknowledgment}, and a batch listener's {@code List<ConsumerRecord>} beside its payloads. Each
 * reads the raw record (or, in a batch, the records) that {@link LogMessageConverter} puts in the
 * {@code kafka_data} header. Every other parameter is Spring Kafka's to resolve ({@code @Header},
 * {@code @Payload}, {@code ConsumerRecord}, {@code Consumer}, Spring Kafka's {@code Acknowledgment}).
 */
final class LogArgumentResolvers {

    private LogArgumentResolvers() {
    }

    static List<HandlerMethodArgumentResolver> all(PayloadCodec codec) {
        return List.of(new KeyResolver(codec), new RecordPartResolver(), new AcknowledgmentResolver(),
                new RecordListResolver());
    }

    /** The raw records of the message: one for a record listener, all of them for a batch listener. */
    @SuppressWarnings("unchecked")
    static List<ConsumerRecord<?, ?>> records(Message<?> message) {
        Object raw = message.getHeaders().get(KafkaHeaders.RAW_DATA);
        if (raw instanceof ConsumerRecord<?, ?> record) {
            return List.of(record);
        }
        if (raw instanceof List<?> list) {
            return (List<ConsumerRecord<?, ?>>) list;
        }
        throw new IllegalStateException("no raw record in the message: the container factory's message converter"
                + " must be a LogMessageConverter (or one with rawRecordHeader)");
    }

    static boolean isBatch(Message<?> message) {
        return message.getHeaders().get(KafkaHeaders.RAW_DATA) instanceof List<?>;
    }

    static Type elementType(MethodParameter parameter) {
        Type type = parameter.getGenericParameterType();
        if (type instanceof ParameterizedType pt && pt.getRawType() == List.class) {
            return pt.getActualTypeArguments()[0];
        }
        throw new IllegalStateException(parameter.getMethod() + ": parameter " + parameter.getParameterIndex()
                + " of a batch listener must be a List<...>, not " + type.getTypeName());
    }

    /** {@code @LogKey}: the key converted like a payload; a list of keys in a batch. */
    private record KeyResolver(PayloadCodec codec) implements HandlerMethodArgumentResolver {

        @Override
        public boolean supportsParameter(MethodParameter parameter) {
            return parameter.hasParameterAnnotation(LogKey.class);
        }

        @Override
        public Object resolveArgument(MethodParameter parameter, Message<?> message) {
            List<ConsumerRecord<?, ?>> records = records(message);
            if (!isBatch(message)) {
                return key(records.get(0), parameter.getGenericParameterType());
            }
            Type element = elementType(parameter);
            List<Object> keys = new ArrayList<>(records.size());
            records.forEach(r -> keys.add(key(r, element)));
            return keys;
        }

        private Object key(ConsumerRecord<?, ?> record, Type type) {
            if (!(record.key() instanceof byte[] bytes)) {
                return record.key();
            }
            try {
                return codec.decode(bytes, type);
            } catch (PayloadCodec.PayloadException e) {
                throw new ConversionException("the key of " + LogMessageConverter.where(record) + " cannot be a "
                        + type.getTypeName() + ": " + e.getMessage(), record, e);
            }
        }
    }

    /** {@code @LogHeader}, {@code @LogPartition}, {@code @LogOffset}: parts of one record. */
    private static final class RecordPartResolver implements HandlerMethodArgumentResolver {

        @Override
        public boolean supportsParameter(MethodParameter parameter) {
            return parameter.hasParameterAnnotation(LogHeader.class) || parameter.hasParameterAnnotation(LogPartition.class)
                    || parameter.hasParameterAnnotation(LogOffset.class)
                    || parameter.getParameterType() == Headers.class && parameter.getParameterAnnotations().length == 0;
        }

        @Override
        public Object resolveArgument(MethodParameter parameter, Message<?> message) {
            if (isBatch(message)) {
                throw new IllegalStateException(parameter.getMethod() + ": @LogHeader, @LogPartition, @LogOffset and"
                        + " Headers are for one record, not a batch");
            }
            ConsumerRecord<?, ?> record = records(message).get(0);
            if (parameter.hasParameterAnnotation(LogPartition.class)) {
                return record.partition();
            }
            if (parameter.hasParameterAnnotation(LogOffset.class)) {
                return record.offset();
            }
            if (parameter.getParameterType() == Headers.class) {
                return record.headers();
            }
            Header header = record.headers().lastHeader(parameter.getParameterAnnotation(LogHeader.class).value());
            if (header == null || header.value() == null) {
                return null;
            }
            return parameter.getParameterType() == byte[].class ? header.value()
                    : new String(header.value(), StandardCharsets.UTF_8);
        }
    }

    /** The starter's {@link Acknowledgment}, on Spring Kafka's (there with the MANUAL ack modes). */
    private static final class AcknowledgmentResolver implements HandlerMethodArgumentResolver {

        @Override
        public boolean supportsParameter(MethodParameter parameter) {
            return parameter.getParameterType() == Acknowledgment.class;
        }

        @Override
        public Object resolveArgument(MethodParameter parameter, Message<?> message) {
            Runnable acknowledge = SpringAcknowledgments.acknowledger(message.getHeaders().get(KafkaHeaders.ACKNOWLEDGMENT));
            if (acknowledge == null) {
                throw new IllegalStateException("acknowledge() needs ack mode MANUAL or MANUAL_IMMEDIATE");
            }
            return (Acknowledgment) acknowledge::run;
        }
    }

    /** A batch listener's {@code List<ConsumerRecord>} beside its payload list. */
    private static final class RecordListResolver implements HandlerMethodArgumentResolver {

        @Override
        public boolean supportsParameter(MethodParameter parameter) {
            if (parameter.getParameterType() != List.class || parameter.getParameterAnnotations().length > 0
                    || !(parameter.getGenericParameterType() instanceof ParameterizedType pt)) {
                return false;
            }
            Type element = pt.getActualTypeArguments()[0];
            Type raw = element instanceof ParameterizedType ept ? ept.getRawType() : element;
            return raw == ConsumerRecord.class;
        }

        @Override
        public Object resolveArgument(MethodParameter parameter, Message<?> message) {
            return List.copyOf(records(message));
        }
    }
}
