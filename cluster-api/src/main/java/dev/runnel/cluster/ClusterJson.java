package dev.runnel.cluster;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON form of the records kept in ZooKeeper. Unknown properties are ignored so that a newer
 * version can add fields that an older one still reads.
 */
public final class ClusterJson {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ClusterJson() {
    }

    public static byte[] write(Object value) {
        return MAPPER.writeValueAsBytes(value);
    }

    /**
     * Reads {@code bytes} as {@code type}.
     *
     * @throws IllegalStateException naming {@code what} when the bytes are not such a record
     */
    public static <T> T read(byte[] bytes, Class<T> type, String what) {
        try {
            return MAPPER.readValue(bytes, type);
        } catch (JacksonException e) {
            throw new IllegalStateException("Cannot read " + what + " as " + type.getSimpleName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }
}
