package dev.runnel.broker.kafka;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Writable;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;

/**
 * Serialises a response into one heap buffer, cutting it wherever a records field holds a
 * {@link FileSliceRecords}: those bytes are not copied but become a {@link ResponseFrame.File}
 * part between the heap pieces. The buffer is sized up front from the message's computed size
 * less its zero-copy bytes, so it is filled exactly once.
 */
final class FrameWriter implements Writable {

    private final ByteBuffer buffer;
    private final ByteBufferAccessor out;
    private final List<ResponseFrame.Part> parts = new ArrayList<>();
    private int cut;

    FrameWriter(int heapBytes) {
        this.buffer = ByteBuffer.allocate(heapBytes);
        this.out = new ByteBufferAccessor(buffer);
    }

    ResponseFrame finish(int wireSize) {
        cutHere();
        return new ResponseFrame(parts, wireSize);
    }

    private void cutHere() {
        if (buffer.position() > cut) {
            parts.add(new ResponseFrame.Bytes(buffer.duplicate().position(cut).limit(buffer.position()).slice()));
            cut = buffer.position();
        }
    }

    @Override
    public void writeRecords(BaseRecords records) {
        if (records instanceof FileSliceRecords fileRecords) {
            cutHere();
            if (fileRecords.sizeInBytes() > 0) {
                parts.add(new ResponseFrame.File(fileRecords.slice()));
            }
        } else if (records instanceof MemoryRecords memoryRecords) {
            buffer.put(memoryRecords.buffer().duplicate());
        } else {
            throw new IllegalArgumentException("cannot write records of type " + records.getClass().getName());
        }
    }

    @Override
    public void writeByte(byte val) {
        out.writeByte(val);
    }

    @Override
    public void writeShort(short val) {
        out.writeShort(val);
    }

    @Override
    public void writeInt(int val) {
        out.writeInt(val);
    }

    @Override
    public void writeLong(long val) {
        out.writeLong(val);
    }

    @Override
    public void writeDouble(double val) {
        out.writeDouble(val);
    }

    @Override
    public void writeByteArray(byte[] arr) {
        out.writeByteArray(arr);
    }

    @Override
    public void writeUnsignedVarint(int i) {
        out.writeUnsignedVarint(i);
    }

    @Override
    public void writeByteBuffer(ByteBuffer buf) {
        out.writeByteBuffer(buf);
    }

    @Override
    public void writeVarint(int i) {
        out.writeVarint(i);
    }

    @Override
    public void writeVarlong(long i) {
        out.writeVarlong(i);
    }
}
