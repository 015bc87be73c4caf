package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * The request frame decoder on {@link EmbeddedChannel}s: frames split and joined across reads,
 * bad sizes, and the listener's request memory shared by connections.
 */
class RequestFrameDecoderTest {

    private static final int MAX = 1024;

    /** Collects the frames a decoder emits, releasing none until told to. */
    private static final class Frames extends ChannelInboundHandlerAdapter {
        final List<RequestFrame> frames = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            frames.add((RequestFrame) msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // as KafkaConnection does
        }

        List<String> texts() {
            List<String> out = new ArrayList<>();
            for (RequestFrame f : frames) {
                byte[] b = new byte[f.bytes().remaining()];
                f.bytes().duplicate().get(b);
                out.add(new String(b));
            }
            return out;
        }
    }

    private final Frames frames = new Frames();

    private EmbeddedChannel connection(RequestMemoryPool pool, Frames sink) {
        return new EmbeddedChannel(new RequestFrameDecoder(MAX, pool), sink);
    }

    private static ByteBuf frame(String text) {
        return Unpooled.buffer().writeInt(text.length()).writeBytes(text.getBytes());
    }

    @Test
    void framesSplitAndJoinedAcrossReadsComeOutWholeAndInOrder() {
        EmbeddedChannel channel = connection(RequestMemoryPool.unbounded(), frames);
        ByteBuf all = Unpooled.buffer().writeBytes(frame("first")).writeBytes(frame("")).writeBytes(frame("second"))
                .writeBytes(frame("third"));
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);

        for (int i = 0; i < bytes.length; i += 3) {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(3, bytes.length - i)));
        }

        assertThat(frames.texts()).containsExactly("first", "", "second", "third");
        assertThat(frames.frames).allSatisfy(f -> assertThat(f.bytes().capacity()).isEqualTo(f.bytes().remaining()));
    }

    @Test
    void aSizeAboveTheMaximumOrBelowZeroClosesTheConnectionWithoutAllocating() {
        RequestMemoryPool pool = new RequestMemoryPool(MAX);
        EmbeddedChannel tooLarge = connection(pool, frames);
        tooLarge.writeInbound(Unpooled.buffer().writeInt(MAX + 1).writeBytes(new byte[8]));
        Frames negativeFrames = new Frames();
        EmbeddedChannel negative = connection(pool, negativeFrames);
        negative.writeInbound(Unpooled.buffer().writeInt(Integer.MIN_VALUE).writeBytes(new byte[8]));

        assertThat(tooLarge.isActive()).isFalse();
        assertThat(negative.isActive()).isFalse();
        assertThat(pool.used()).isZero();
        assertThat(frames.frames).isEmpty();
        assertThat(negativeFrames.frames).isEmpty();
    }

    @Test
    void aConnectionWhoseNextFrameDoesNotFitStopsReadingUntilMemoryComesBack() {
        RequestMemoryPool pool = new RequestMemoryPool(1000);
        Frames firstFrames = new Frames();
        EmbeddedChannel first = connection(pool, firstFrames);
        EmbeddedChannel second = connection(pool, frames);
        first.writeInbound(frame("a".repeat(400)), frame("a".repeat(600)));
        assertThat(pool.used()).isEqualTo(1000);

        second.writeInbound(frame("b".repeat(600)));
        assertThat(frames.frames).isEmpty();
        assertThat(second.config().isAutoRead()).isFalse();
        assertThat(pool.used()).isEqualTo(1000);

        firstFrames.frames.get(1).release();
        second.runPendingTasks();

        assertThat(frames.texts()).containsExactly("b".repeat(600));
        assertThat(second.config().isAutoRead()).isTrue();
        assertThat(pool.used()).isEqualTo(1000);
    }

    @Test
    void aFrameLargerThanWhatIsFreeIsLetInWhileAnyMemoryIsFree() {
        RequestMemoryPool pool = new RequestMemoryPool(100);
        EmbeddedChannel channel = connection(pool, frames);

        channel.writeInbound(frame("x".repeat(60)), frame("y".repeat(500)), frame("z"));

        assertThat(frames.texts()).hasSize(2);
        assertThat(pool.used()).isEqualTo(560);
        assertThat(channel.config().isAutoRead()).isFalse();
    }

    @Test
    void aFrameLargerThanThePoolIsReadOnceNothingElseIsHeld() {
        RequestMemoryPool pool = new RequestMemoryPool(100);
        EmbeddedChannel channel = connection(pool, frames);

        channel.writeInbound(frame("x".repeat(500)));

        assertThat(frames.frames).hasSize(1);
        assertThat(pool.used()).isEqualTo(500);
        frames.frames.get(0).release();
        frames.frames.get(0).release();
        assertThat(pool.used()).isZero();
    }

    @Test
    void aConnectionClosedHalfwayThroughAFrameGivesItsMemoryBack() {
        RequestMemoryPool pool = new RequestMemoryPool(MAX);
        EmbeddedChannel channel = connection(pool, frames);
        channel.writeInbound(Unpooled.buffer().writeInt(800).writeBytes(new byte[100]));
        assertThat(pool.used()).isEqualTo(800);

        channel.close();

        assertThat(pool.used()).isZero();
        assertThat(frames.frames).isEmpty();
    }

    @Test
    void aFrameIsCopiedOnceIntoABufferOfItsOwnSize() {
        EmbeddedChannel channel = connection(RequestMemoryPool.unbounded(), frames);
        ByteBuf read = frame("payload");

        channel.writeInbound(read);

        ByteBuffer bytes = frames.frames.get(0).bytes();
        assertThat(bytes.hasArray()).isTrue();
        assertThat(bytes.array()).hasSize(7);
        assertThat(read.refCnt()).isZero();
    }
}
