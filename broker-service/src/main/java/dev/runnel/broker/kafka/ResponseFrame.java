package dev.runnel.broker.kafka;

import java.nio.ByteBuffer;
import java.util.List;

import dev.runnel.broker.storage.FileSlice;

/**
 * A response ready for the socket: the 4-byte size prefix, header and body as heap bytes, with
 * the record bytes of a fetch left in the segment files to be sent zero-copy.
 *
 * <pre>
 * [size | header | body up to the 1st records field] [file slice] [body ...] [file slice] [rest of body]
 *  Bytes                                              File         Bytes      File         Bytes
 * </pre>
 *
 * @param parts the pieces in wire order
 * @param size  bytes on the wire, size prefix included
 */
public record ResponseFrame(List<Part> parts, int size) {

    public ResponseFrame {
        parts = List.copyOf(parts);
    }

    /** A piece of a response. */
    public sealed interface Part permits Bytes, File {
    }

    /** Heap bytes, from position to limit. */
    public record Bytes(ByteBuffer buffer) implements Part {
    }

    /** Bytes of a segment file, sent with {@code transferTo}; the channel belongs to the segment. */
    public record File(FileSlice slice) implements Part {
    }

    /** A frame of heap bytes only; {@code body} holds the response without the size prefix. */
    public static ResponseFrame of(ByteBuffer body) {
        ByteBuffer sized = ByteBuffer.allocate(4 + body.remaining()).putInt(body.remaining()).put(body.duplicate());
        return new ResponseFrame(List.of(new Bytes(sized.flip())), sized.remaining());
    }
}
