package dev.runnel.broker.kafka;

import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.RecordsSend;

import dev.runnel.broker.storage.FileSlice;

/**
 * Record bytes that stay in a segment file until the socket takes them: the records field of a
 * fetch response. Only {@link FrameWriter} writes these; kafka-clients' own send path is not used.
 */
final class FileSliceRecords implements BaseRecords {

    private final FileSlice slice;

    FileSliceRecords(FileSlice slice) {
        this.slice = slice;
    }

    FileSlice slice() {
        return slice;
    }

    @Override
    public int sizeInBytes() {
        return slice.size();
    }

    @Override
    public RecordsSend<? extends BaseRecords> toSend() {
        throw new UnsupportedOperationException("file slices are sent by FrameWriter, zero-copy");
    }
}
