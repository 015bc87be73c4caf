package dev.runnel.gateway.proxy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

import dev.runnel.gateway.web.ProxyException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * How keys and values are written inside a REST request, named by its content type as in the
 * Strimzi Kafka Bridge and Confluent's REST Proxy v2: {@code application/vnd.kafka.json.v2+json}
 * (any JSON, stored as its JSON text; plain {@code application/json} too),
 * {@code application/vnd.kafka.binary.v2+json} (base64 strings, stored as the decoded bytes) and
 * {@code application/vnd.kafka.text.v2+json} (strings, stored as UTF-8).
 */
public enum EmbeddedFormat {

    JSON, BINARY, TEXT;

    public static final String JSON_V2 = "application/vnd.kafka.json.v2+json";
    public static final String BINARY_V2 = "application/vnd.kafka.binary.v2+json";
    public static final String TEXT_V2 = "application/vnd.kafka.text.v2+json";

    /** The format of a request body of {@code contentType}. */
    public static EmbeddedFormat of(MediaType contentType) {
        if (contentType == null) {
            throw new ProxyException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                    "a produce request needs a Content-Type: " + JSON_V2 + ", " + BINARY_V2 + " or " + TEXT_V2);
        }
        String subtype = contentType.getSubtype().toLowerCase(Locale.ROOT);
        return switch (subtype) {
            case "vnd.kafka.json.v2+json", "json" -> JSON;
            case "vnd.kafka.binary.v2+json" -> BINARY;
            case "vnd.kafka.text.v2+json" -> TEXT;
            default -> throw new ProxyException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                    "Content-Type " + contentType + " is not a record format: use " + JSON_V2 + ", " + BINARY_V2
                            + " or " + TEXT_V2);
        };
    }

    /** A key or value of this format as the bytes to store; null stays null. */
    public byte[] encode(JsonNode node, JsonMapper mapper, String where) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        switch (this) {
            case JSON:
                try {
                    return mapper.writeValueAsBytes(node);
                } catch (JacksonException e) {
                    throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-record", where + ": " + e.getMessage());
                }
            case BINARY:
                if (!node.isString()) {
                    throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-record",
                            where + " must be a base64 string in the binary format");
                }
                try {
                    return Base64.getDecoder().decode(node.asString());
                } catch (IllegalArgumentException e) {
                    throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-record",
                            where + " is not base64: " + e.getMessage());
                }
            default:
                if (!node.isString()) {
                    throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-record",
                            where + " must be a string in the text format");
                }
                return node.asString().getBytes(StandardCharsets.UTF_8);
        }
    }
}
