package dev.runnel.broker.transaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.runnel.common.TopicPartition;

/**
 * The {@code __transaction_state} bytes. The expected bytes are assembled field by field from
 * Kafka's schemas ({@code TransactionLogKey.json} v0, {@code TransactionLogValue.json} v0-1: field
 * order, non-flexible int32 array counts and int16 string lengths in v0, compact counts and
 * lengths, per-element and trailing tagged fields in v1), not from the codec.
 */
class TransactionLogCodecTest {

    static final long PID = 1000;
    static final long START = 1_700_000_000_000L;
    static final long UPDATE = 1_700_000_001_000L;
    static final TopicPartition ORDERS_3 = new TopicPartition("orders", 3);

    static TransactionTransition transition(TransactionState state, Set<TopicPartition> partitions, long prevPid, long start) {
        return new TransactionTransition(PID, prevPid, -1, (short) 5, (short) -1, 60_000, state, partitions, start, UPDATE);
    }

    /** Writes fields the way Kafka's generated serializers do, one call per schema field. */
    static final class Schema {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final DataOutputStream out = new DataOutputStream(bytes);

        Schema int8(int v) {
            return io(() -> out.writeByte(v));
        }

        Schema int16(int v) {
            return io(() -> out.writeShort(v));
        }

        Schema int32(int v) {
            return io(() -> out.writeInt(v));
        }

        Schema int64(long v) {
            return io(() -> out.writeLong(v));
        }

        Schema uvarint(int v) {
            if (v >= 0x80) {
                throw new IllegalArgumentException("the tests only need one-byte varints");
            }
            return int8(v);
        }

        Schema string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return int16(b.length).io(() -> out.write(b));
        }

        Schema compactString(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return uvarint(b.length + 1).io(() -> out.write(b));
        }

        byte[] done() {
            return bytes.toByteArray();
        }

        private Schema io(IoAction action) {
            try {
                action.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        interface IoAction {
            void run() throws IOException;
        }
    }

    @Test
    void theKeyIsVersionZeroAndTheId() {
        assertThat(TransactionLogCodec.key("txn-1")).isEqualTo(new Schema().int16(0).string("txn-1").done());
        assertThat(HexFormat.of().formatHex(TransactionLogCodec.key("txn-1"))).isEqualTo("0000000574786e2d31");
    }

    @Test
    void anOngoingTransactionIsWrittenAsKafkaWritesValueVersionOne() {
        byte[] expected = new Schema().int16(1)
                .int64(PID).int16(5).int32(60_000).int8(1)
                .uvarint(2) // one topic
                .compactString("orders").uvarint(2).int32(3).uvarint(0) // partitions [3], no tagged fields
                .int64(UPDATE).int64(START)
                .uvarint(1).uvarint(0).uvarint(8).int64(PID) // tagged: PreviousProducerId
                .done();

        assertThat(TransactionLogCodec.value(transition(TransactionState.ONGOING, Set.of(ORDERS_3), PID, START)))
                .isEqualTo(expected);
        assertThat(HexFormat.of().formatHex(expected)).isEqualTo("000100000000000003e800050000ea600102076f7264657273"
                + "0200000003000000018bcfe56be80000018bcfe5680001000800000000000003e8");
    }

    @Test
    void emptyWritesNullPartitionsAndOmitsTaggedFieldsAtTheirDefaults() {
        byte[] v1 = new Schema().int16(1).int64(PID).int16(5).int32(60_000).int8(0)
                .uvarint(0) // null
                .int64(UPDATE).int64(-1)
                .uvarint(0) // PreviousProducerId -1 and NextProducerId -1 are defaults: not written
                .done();
        byte[] v0 = new Schema().int16(0).int64(PID).int16(5).int32(60_000).int8(0).int32(-1).int64(UPDATE).int64(-1).done();
        TransactionTransition empty = transition(TransactionState.EMPTY, Set.of(), -1, -1);

        assertThat(TransactionLogCodec.value(empty)).isEqualTo(v1);
        assertThat(TransactionLogCodec.value(empty, (short) 1)).isEqualTo(v1);
        assertThat(TransactionLogCodec.value(empty, (short) 0)).isEqualTo(v0);
    }

    @Test
    void versionZeroHasFixedWidthCountsAndNoTaggedFields() {
        byte[] expected = new Schema().int16(0).int64(PID).int16(5).int32(60_000).int8(3)
                .int32(2)
                .string("orders").int32(2).int32(1).int32(3)
                .string("payments").int32(1).int32(0)
                .int64(UPDATE).int64(START).done();
        Set<TopicPartition> partitions = Set.of(new TopicPartition("payments", 0), ORDERS_3, new TopicPartition("orders", 1));

        assertThat(TransactionLogCodec.value(transition(TransactionState.PREPARE_ABORT, partitions, PID, START), (short) 0))
                .as("topics by name, partitions ascending").isEqualTo(expected);
    }

    @Test
    void aCompleteTransactionHasAnEmptyPartitionListAndEveryTaggedFieldThatIsSet() {
        TransactionTransition complete = new TransactionTransition(PID, 999, 7, (short) 5, (short) -1, 60_000,
                TransactionState.COMPLETE_COMMIT, Set.of(), START, UPDATE);
        byte[] expected = new Schema().int16(1).int64(PID).int16(5).int32(60_000).int8(4)
                .uvarint(1) // an empty list, not null
                .int64(UPDATE).int64(START)
                .uvarint(2).uvarint(0).uvarint(8).int64(999).uvarint(1).uvarint(8).int64(7)
                .done();

        assertThat(TransactionLogCodec.value(complete)).isEqualTo(expected);
    }

    @Test
    void everyWrittenStateReadsBackInBothVersions() {
        Set<TopicPartition> partitions = Set.of(ORDERS_3, new TopicPartition("__consumer_offsets", 17));
        for (TransactionState state : TransactionState.values()) {
            if (state == TransactionState.DEAD || state == TransactionState.PREPARE_EPOCH_FENCE) {
                continue;
            }
            Set<TopicPartition> tps = state == TransactionState.EMPTY ? Set.of() : partitions;
            TransactionTransition t = transition(state, tps, 900, START);
            TransactionLog.Entry entry = TransactionLogCodec.encode("id-" + state, t);

            TransactionLogCodec.Decoded v1 = TransactionLogCodec.decode(ByteBuffer.wrap(entry.key()), ByteBuffer.wrap(entry.value()));
            assertThat(v1).isEqualTo(new TransactionLogCodec.Decoded("id-" + state, t));

            TransactionTransition v0 = TransactionLogCodec.decode(ByteBuffer.wrap(entry.key()),
                    ByteBuffer.wrap(TransactionLogCodec.value(t, (short) 0))).value();
            assertThat(v0).as("version 0 has no previous producer id").isEqualTo(
                    new TransactionTransition(PID, -1, -1, (short) 5, (short) -1, 60_000, state, tps, START, UPDATE));
        }
    }

    @Test
    void aTombstoneHasNoValue() {
        TransactionLog.Entry tombstone = TransactionLogCodec.encode("gone", null);

        assertThat(tombstone.value()).isNull();
        assertThat(TransactionLogCodec.decode(ByteBuffer.wrap(tombstone.key()), null))
                .isEqualTo(new TransactionLogCodec.Decoded("gone", null));
    }

    @Test
    void unknownAndTransactionVersionTwoTaggedFieldsAreSkipped() {
        byte[] value = new Schema().int16(1).int64(PID).int16(5).int32(60_000).int8(1)
                .uvarint(2).compactString("orders").uvarint(2).int32(3)
                .uvarint(1).uvarint(9).uvarint(2).int16(77) // an element tagged field from a newer Kafka
                .int64(UPDATE).int64(START)
                .uvarint(4)
                .uvarint(0).uvarint(8).int64(PID)
                .uvarint(2).uvarint(2).int16(2) // ClientTransactionVersion
                .uvarint(3).uvarint(2).int16(6) // NextProducerEpoch
                .uvarint(12).uvarint(3).int8(1).int8(2).int8(3) // unknown
                .done();

        TransactionTransition t = TransactionLogCodec.decode(ByteBuffer.wrap(TransactionLogCodec.key("a")),
                ByteBuffer.wrap(value)).value();

        assertThat(t).isEqualTo(transition(TransactionState.ONGOING, Set.of(ORDERS_3), PID, START));
    }

    @Test
    void unknownVersionsAndStatesAreRefused() {
        byte[] key = TransactionLogCodec.key("a");
        byte[] value = TransactionLogCodec.value(transition(TransactionState.ONGOING, Set.of(ORDERS_3), PID, START));
        byte[] keyV1 = key.clone();
        keyV1[1] = 1;
        byte[] valueV2 = value.clone();
        valueV2[1] = 2;
        byte[] badState = value.clone();
        badState[2 + 8 + 2 + 4] = 9;

        assertThatThrownBy(() -> TransactionLogCodec.decode(ByteBuffer.wrap(keyV1), ByteBuffer.wrap(value)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key version 1");
        assertThatThrownBy(() -> TransactionLogCodec.decode(ByteBuffer.wrap(key), ByteBuffer.wrap(valueV2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value version 2");
        assertThatThrownBy(() -> TransactionLogCodec.decode(ByteBuffer.wrap(key), ByteBuffer.wrap(badState)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("state id 9");
    }

    @Test
    void everyTruncationIsRefusedAndNothingIsSizedByADeclaredCount() {
        byte[] key = TransactionLogCodec.key("a");
        for (short version = 0; version <= 1; version++) {
            byte[] value = TransactionLogCodec.value(transition(TransactionState.ONGOING, Set.of(ORDERS_3), PID, START), version);
            for (int length = 0; length < value.length; length++) {
                byte[] cut = Arrays.copyOf(value, length);
                assertThatThrownBy(() -> TransactionLogCodec.decode(ByteBuffer.wrap(key), ByteBuffer.wrap(cut)))
                        .as("v%d cut at %d", version, length).isInstanceOf(IllegalArgumentException.class);
            }
        }
        for (int length = 0; length < key.length; length++) {
            byte[] cut = Arrays.copyOf(key, length);
            assertThatThrownBy(() -> TransactionLogCodec.decode(ByteBuffer.wrap(cut), null))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        byte[] huge = new Schema().int16(0).int64(PID).int16(5).int32(60_000).int8(1).int32(Integer.MAX_VALUE).done();
        assertThatThrownBy(() -> TransactionLogCodec.decode(ByteBuffer.wrap(key), ByteBuffer.wrap(huge)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statesThatAreNeverWrittenCannotBeEncoded() {
        assertThatThrownBy(() -> TransactionLogCodec.value(transition(TransactionState.DEAD, Set.of(), PID, -1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TransactionLogCodec.value(transition(TransactionState.PREPARE_EPOCH_FENCE, Set.of(), PID, -1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TransactionLogCodec.value(transition(TransactionState.EMPTY, Set.of(ORDERS_3), PID, -1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
