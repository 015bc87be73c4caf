package dev.runnel.client.support;

import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keys and payloads to bytes and back. Strings go as UTF-8 and byte arrays as they are; anything
 * else goes as JSON through Jackson, with its class name in a type header (spring-kafka's header
 * names, so its JSON deserializer can read what this writes and the other way round).
 */
public final class PayloadCodec {

    /** The class of a JSON payload. */
    public static final String TYPE_HEADER = "__TypeId__";
    /** The class of a JSON key. */
    public static final String KEY_TYPE_HEADER = "__Key_TypeId__";

    private final JsonMapper mapper;

    public PayloadCodec(JsonMapper mapper) {
        this.mapper = mapper;
    }

    /** A value as bytes, and the class name for the type header if it went as JSON (else null). */
    public record Encoded(byte[] bytes, String type) {
    }

    public Encoded encode(Object value) {
        if (value == null) {
            return new Encoded(null, null);
        }
        if (value instanceof byte[] bytes) {
            return new Encoded(bytes, null);
        }
        if (value instanceof String text) {
            return new Encoded(text.getBytes(StandardCharsets.UTF_8), null);
        }
        try {
            return new Encoded(mapper.writeValueAsBytes(value), value.getClass().getName());
        } catch (JacksonException e) {
            throw new PayloadException("cannot write a " + value.getClass().getName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * {@code bytes} as {@code target}: a String from UTF-8, a byte array as it is, anything else from
     * JSON. The type header is not trusted to pick the class: the declared target decides.
     */
    public <T> T decode(byte[] bytes, Class<T> target) {
        if (bytes == null) {
            return null;
        }
        if (target == byte[].class) {
            return target.cast(bytes);
        }
        if (target == String.class || target == CharSequence.class) {
            return target.cast(new String(bytes, StandardCharsets.UTF_8));
        }
        try {
            return mapper.readValue(bytes, target);
        } catch (JacksonException e) {
            throw new PayloadException("cannot read " + bytes.length + " bytes as a " + target.getName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * {@code bytes} as the generic {@code type} (such as {@code List<Order>}), by the same rules as
     * {@link #decode(byte[], Class)}.
     */
    public Object decode(byte[] bytes, Type type) {
        if (type instanceof Class<?> c) {
            return decode(bytes, c);
        }
        if (bytes == null) {
            return null;
        }
        try {
            return mapper.readValue(bytes, mapper.getTypeFactory().constructType(type));
        } catch (JacksonException e) {
            throw new PayloadException("cannot read " + bytes.length + " bytes as a " + type.getTypeName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    /** The last value of {@code name} in {@code headers} as UTF-8, or null. */
    public static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** A key or payload that cannot be converted. */
    public static final class PayloadException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        public PayloadException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
