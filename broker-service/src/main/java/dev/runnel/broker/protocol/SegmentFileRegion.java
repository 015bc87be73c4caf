package dev.runnel.broker.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

import dev.runnel.broker.storage.FileSlice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultFileRegion;

/**
 * A range of a segment file sent with {@code transferTo} (sendfile). Unlike its parent, releasing
 * it leaves the file channel open: the channel belongs to the segment and serves every reader.
 */
final class SegmentFileRegion extends DefaultFileRegion {

    SegmentFileRegion(FileSlice slice) {
        super(slice.channel(), slice.position(), slice.size());
    }

    /**
     * The slice's bytes read into a pooled direct buffer, for a pipeline that must see them (TLS
     * encrypts in Netty, where a file region cannot go).
     *
     * @throws UncheckedIOException if the file cannot be read (a segment deleted meanwhile)
     */
    static ByteBuf read(FileSlice slice, ByteBufAllocator allocator) {
        ByteBuf buffer = allocator.directBuffer(slice.size());
        try {
            ByteBuffer target = buffer.nioBuffer(0, slice.size());
            long position = slice.position();
            while (target.hasRemaining()) {
                int n = slice.channel().read(target, position);
                if (n < 0) {
                    throw new EOFException("a segment ended " + target.remaining() + " bytes before the fetched range");
                }
                position += n;
            }
            buffer.writerIndex(slice.size());
            return buffer;
        } catch (IOException e) {
            buffer.release();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            buffer.release();
            throw e;
        }
    }

    @Override
    protected void deallocate() {
        // The segment owns the channel and closes it when the segment is closed or deleted.
    }
}
