package dev.runnel.client.listener;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.springframework.util.ReflectionUtils;

import dev.runnel.client.support.PayloadCodec;

/**
 * Calls a {@link LogListener} method with its parameters made from a record (or a batch of
 * records). What each parameter is, is decided once, when the container is made, so that a
 * method the starter cannot call fails the application at startup.
 */
final class ListenerInvoker {

    private enum Kind { PAYLOAD, KEY, HEADER, PARTITION, OFFSET, HEADERS, RECORD, RECORD_LIST, CONSUMER, ACK }

    private record Param(Kind kind, Type type, String header) {
    }

    private final Object bean;
    private final Method method;
    private final boolean batch;
    private final PayloadCodec codec;
    private final List<Param> params = new ArrayList<>();

    ListenerInvoker(Object bean, Method method, boolean batch, PayloadCodec codec) {
        this.bean = bean;
        this.method = method;
        this.batch = batch;
        this.codec = codec;
        int payloads = 0;
        for (Parameter p : method.getParameters()) {
            Param param = describe(p);
            if (param.kind() == Kind.PAYLOAD) {
                payloads++;
            }
            if (batch && List.of(Kind.HEADER, Kind.PARTITION, Kind.OFFSET, Kind.HEADERS, Kind.RECORD).contains(param.kind())) {
                throw new IllegalStateException(where() + ": a batch listener gets lists; parameter " + p.getName()
                        + " (" + param.kind() + ") is for one record");
            }
            params.add(param);
        }
        if (payloads > 1) {
            throw new IllegalStateException(where() + " has " + payloads + " parameters that would be the payload;"
                    + " mark the others with @LogKey, @LogHeader, @LogPartition or @LogOffset");
        }
        ReflectionUtils.makeAccessible(method);
    }

    /** Whether the method takes an {@link Acknowledgment}. */
    boolean acknowledges() {
        return params.stream().anyMatch(p -> p.kind() == Kind.ACK);
    }

    String where() {
        return "@LogListener " + method.getDeclaringClass().getSimpleName() + "." + method.getName();
    }

    private Param describe(Parameter p) {
        Type type = p.getParameterizedType();
        Class<?> raw = p.getType();
        if (p.isAnnotationPresent(LogKey.class)) {
            return new Param(Kind.KEY, batch ? elementType(p) : type, null);
        }
        if (p.isAnnotationPresent(LogHeader.class)) {
            if (raw != String.class && raw != byte[].class) {
                throw new IllegalStateException(where() + ": @LogHeader " + p.getName() + " must be a String or a byte[]");
            }
            return new Param(Kind.HEADER, raw, p.getAnnotation(LogHeader.class).value());
        }
        if (p.isAnnotationPresent(LogPartition.class)) {
            if (raw != int.class && raw != Integer.class) {
                throw new IllegalStateException(where() + ": @LogPartition " + p.getName() + " must be an int");
            }
            return new Param(Kind.PARTITION, raw, null);
        }
        if (p.isAnnotationPresent(LogOffset.class)) {
            if (raw != long.class && raw != Long.class) {
                throw new IllegalStateException(where() + ": @LogOffset " + p.getName() + " must be a long");
            }
            return new Param(Kind.OFFSET, raw, null);
        }
        if (raw == Acknowledgment.class) {
            return new Param(Kind.ACK, raw, null);
        }
        if (raw == Headers.class) {
            return new Param(Kind.HEADERS, raw, null);
        }
        if (raw == ConsumerRecord.class) {
            return new Param(Kind.RECORD, raw, null);
        }
        if (Consumer.class.isAssignableFrom(raw)) {
            return new Param(Kind.CONSUMER, raw, null);
        }
        if (raw.isPrimitive()) {
            throw new IllegalStateException(where() + ": payload " + p.getName() + " is a " + raw
                    + ", which a record without a value (null) cannot be; use its wrapper class");
        }
        if (raw == ConsumerRecords.class) {
            throw new IllegalStateException(where() + ": ConsumerRecords is not supported; a batch listener takes a"
                    + " List<ConsumerRecord<byte[], byte[]>>");
        }
        if (batch) {
            Type element = elementType(p);
            Class<?> elementRaw = element instanceof ParameterizedType pt ? (Class<?>) pt.getRawType()
                    : element instanceof Class<?> c ? c : Object.class;
            return new Param(elementRaw == ConsumerRecord.class ? Kind.RECORD_LIST : Kind.PAYLOAD, element, null);
        }
        return new Param(Kind.PAYLOAD, type, null);
    }

    private Type elementType(Parameter p) {
        if (p.getType() != List.class || !(p.getParameterizedType() instanceof ParameterizedType pt)) {
            throw new IllegalStateException(where() + ": parameter " + p.getName()
                    + " of a batch listener must be a List<...>, not " + p.getParameterizedType().getTypeName());
        }
        return pt.getActualTypeArguments()[0];
    }

    /** Calls the method for one record. */
    void invoke(ConsumerRecord<byte[], byte[]> record, Acknowledgment ack, Consumer<byte[], byte[]> consumer) {
        Object[] args = new Object[params.size()];
        for (int i = 0; i < args.length; i++) {
            Param p = params.get(i);
            args[i] = switch (p.kind()) {
                case PAYLOAD -> convert(record, record.value(), p.type(), "payload");
                case KEY -> convert(record, record.key(), p.type(), "key");
                case HEADER -> header(record.headers(), p);
                case PARTITION -> record.partition();
                case OFFSET -> record.offset();
                case HEADERS -> record.headers();
                case RECORD -> record;
                case RECORD_LIST -> List.of(record);
                case CONSUMER -> consumer;
                case ACK -> ack;
            };
        }
        call(args);
    }

    /** Calls the method once for {@code records}; a record that cannot be converted fails the call before it. */
    void invokeBatch(List<ConsumerRecord<byte[], byte[]>> records, Acknowledgment ack, Consumer<byte[], byte[]> consumer) {
        Object[] args = new Object[params.size()];
        for (int i = 0; i < args.length; i++) {
            Param p = params.get(i);
            args[i] = switch (p.kind()) {
                case PAYLOAD -> records.stream().map(r -> convert(r, r.value(), p.type(), "payload")).toList();
                case KEY -> records.stream().map(r -> convert(r, r.key(), p.type(), "key")).toList();
                case RECORD_LIST -> List.copyOf(records);
                case CONSUMER -> consumer;
                case ACK -> ack;
                default -> throw new IllegalStateException("not for a batch: " + p.kind());
            };
        }
        call(args);
    }

    private Object convert(ConsumerRecord<byte[], byte[]> record, byte[] bytes, Type type, String what) {
        try {
            return codec.decode(bytes, type);
        } catch (PayloadCodec.PayloadException e) {
            throw new ConversionFailedException(record, "the " + what + " of " + record.topic() + "-" + record.partition()
                    + "@" + record.offset() + " cannot be a " + type.getTypeName() + " for " + where() + ": "
                    + e.getMessage(), e);
        }
    }

    private static Object header(Headers headers, Param p) {
        Header h = headers.lastHeader(p.header());
        if (h == null || h.value() == null) {
            return null;
        }
        return p.type() == byte[].class ? h.value() : new String(h.value(), StandardCharsets.UTF_8);
    }

    private void call(Object[] args) {
        try {
            method.invoke(bean, args);
        } catch (InvocationTargetException e) {
            throw new ListenerInvocationException(where() + " threw " + e.getCause(), e.getCause());
        } catch (IllegalAccessException | IllegalArgumentException e) {
            throw new ListenerInvocationException(where() + " cannot be called: " + e.getMessage(), e);
        }
    }
}
