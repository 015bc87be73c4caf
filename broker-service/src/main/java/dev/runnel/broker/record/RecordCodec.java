package dev.runnel.broker.record;

import org.apache.kafka.common.compress.Compression;

/** The compression codecs of RecordBatch v2, by their attribute id. */
public enum RecordCodec {
    NONE(0), GZIP(1), SNAPPY(2), LZ4(3), ZSTD(4);

    private final int id;

    RecordCodec(int id) {
        this.id = id;
    }

    /** The value of the codec bits (0-2) in a batch's attributes. */
    public int id() {
        return id;
    }

    /** The codec with attribute id {@code id}, or {@code null} if none has it. */
    public static RecordCodec forId(int id) {
        for (RecordCodec codec : values()) {
            if (codec.id == id) {
                return codec;
            }
        }
        return null;
    }

    Compression compression() {
        return switch (this) {
            case NONE -> Compression.NONE;
            case GZIP -> Compression.gzip().build();
            case SNAPPY -> Compression.snappy().build();
            case LZ4 -> Compression.lz4().build();
            case ZSTD -> Compression.zstd().build();
        };
    }
}
