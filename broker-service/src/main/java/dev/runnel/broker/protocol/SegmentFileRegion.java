package dev.runnel.broker.protocol;

import dev.runnel.broker.storage.FileSlice;
import io.netty.channel.DefaultFileRegion;

/**
 * A range of a segment file sent with {@code transferTo} (sendfile). Unlike its parent, releasing
 * it leaves the file channel open: the channel belongs to the segment and serves every reader.
 */
final class SegmentFileRegion extends DefaultFileRegion {

    SegmentFileRegion(FileSlice slice) {
        super(slice.channel(), slice.position(), slice.size());
    }

    @Override
    protected void deallocate() {
        // The segment owns the channel and closes it when the segment is closed or deleted.
    }
}
