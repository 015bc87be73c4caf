package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A byte range of a segment's {@code .log} file, handed to the network without copying:
 * {@link #transferTo} uses {@link FileChannel#transferTo} (sendfile), and the protocol layer wraps
 * {@link #channel()}, {@link #position()} and {@link #size()} in a Netty {@code DefaultFileRegion}.
 *
 * <p>The range starts at a batch boundary and may end inside a batch when the reader's byte limit
 * cuts it (as Kafka does; clients drop a partial trailing batch). Whoever takes {@link #channel()}
 * must not close it: the segment owns it. A slice stays readable after its segment is deleted for
 * {@code file.delete.delay.ms}.
 *
 * @param channel     the segment's log file
 * @param position    where the range starts in the file
 * @param size        bytes in the range
 * @param firstOffset base offset of the first batch in the range
 */
public record FileSlice(FileChannel channel, long position, int size, long firstOffset) {

    /** Sends bytes {@code [offset, offset + count)} of this slice to {@code target}; returns bytes sent. */
    public long transferTo(WritableByteChannel target, long offset, long count) throws IOException {
        if (offset < 0 || count < 0 || offset + count > size) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + count + " outside a slice of " + size);
        }
        return channel.transferTo(position + offset, count, target);
    }

    /**
     * Copies the slice into a new heap buffer: for tests and tools, and for a fetch over TLS, where
     * the bytes must pass through the pipeline to be encrypted (otherwise the serving path uses
     * {@link #transferTo}).
     */
    public ByteBuffer readFully() throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) {
                throw new IOException("log file ended inside a slice");
            }
        }
        return buffer.flip();
    }
}
