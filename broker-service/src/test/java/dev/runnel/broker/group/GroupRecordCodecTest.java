package dev.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.runnel.common.TopicPartition;

class GroupRecordCodecTest {

    @Test
    void offsetCommitsRoundTripInKafkasLayout() {
        TopicPartition tp = new TopicPartition("orders", 7);
        byte[] key = GroupRecordCodec.offsetKey("g", tp);
        byte[] value = GroupRecordCodec.offsetValue(new OffsetAndMetadata(42, 5, "m", 1_000, -1));

        // Kafka's OffsetCommitKey v1: version, group, topic, partition; OffsetCommitValue v3.
        assertThat(ByteBuffer.wrap(key).getShort()).isEqualTo((short) 1);
        assertThat(key).hasSize(2 + 2 + 1 + 2 + 6 + 4);
        assertThat(ByteBuffer.wrap(value).getShort()).isEqualTo((short) 3);
        GroupRecord decoded = GroupRecordCodec.decode(ByteBuffer.wrap(key), ByteBuffer.wrap(value));
        assertThat(decoded).isEqualTo(new GroupRecord.OffsetCommit("g", tp, new OffsetAndMetadata(42, 5, "m", 1_000, -1)));
    }

    @Test
    void aCommitWithItsOwnExpiryUsesValueVersionOne() {
        byte[] value = GroupRecordCodec.offsetValue(new OffsetAndMetadata(1, -1, "", 10, 99));
        assertThat(ByteBuffer.wrap(value).getShort()).isEqualTo((short) 1);
        GroupRecord.OffsetCommit decoded = (GroupRecord.OffsetCommit) GroupRecordCodec.decode(
                ByteBuffer.wrap(GroupRecordCodec.offsetKey("g", new TopicPartition("t", 0))), ByteBuffer.wrap(value));
        assertThat(decoded.value().expireTimestamp()).isEqualTo(99);
    }

    @Test
    void groupMetadataRoundTripsAndANullValueIsADeletion() {
        GroupRecord.StoredGroup group = new GroupRecord.StoredGroup("consumer", 4, "range", "m1", 123,
                List.of(new GroupRecord.StoredMember("m1", null, "c1", "/127.0.0.1", 30_000, 10_000, new byte[] {1, 2},
                        new byte[] {3}), new GroupRecord.StoredMember("m2", "i2", "c2", "/127.0.0.2", 30_000, 10_000,
                        new byte[0], new byte[] {4, 5})));
        byte[] key = GroupRecordCodec.groupKey("g");

        GroupRecord.GroupMetadata decoded = (GroupRecord.GroupMetadata) GroupRecordCodec.decode(ByteBuffer.wrap(key),
                ByteBuffer.wrap(GroupRecordCodec.groupValue(group)));

        assertThat(ByteBuffer.wrap(key).getShort()).isEqualTo((short) 2);
        assertThat(decoded.value().generationId()).isEqualTo(4);
        assertThat(decoded.value().leaderId()).isEqualTo("m1");
        assertThat(decoded.value().members()).hasSize(2);
        assertThat(decoded.value().members().get(1).groupInstanceId()).isEqualTo("i2");
        assertThat(decoded.value().members().get(1).assignment()).containsExactly(4, 5);
        assertThat(decoded.value().members().get(0).subscription()).containsExactly(1, 2);
        assertThat(((GroupRecord.GroupMetadata) GroupRecordCodec.decode(ByteBuffer.wrap(key), null)).value()).isNull();
    }

    @Test
    void unknownVersionsAndTruncatedBytesAreRefused() {
        ByteBuffer unknownKey = ByteBuffer.allocate(4).putShort((short) 9).putShort((short) 0).flip();
        assertThatThrownBy(() -> GroupRecordCodec.decode(unknownKey, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key version 9");

        byte[] key = GroupRecordCodec.offsetKey("g", new TopicPartition("t", 0));
        ByteBuffer unknownValue = ByteBuffer.allocate(2).putShort((short) 7).flip();
        assertThatThrownBy(() -> GroupRecordCodec.decode(ByteBuffer.wrap(key), unknownValue))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value version 7");

        ByteBuffer truncated = ByteBuffer.wrap(key, 0, key.length - 2);
        assertThatThrownBy(() -> GroupRecordCodec.decode(truncated, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
    }
}
