package dev.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/**
 * The consumer group protocol's records in Kafka 4.x's layout. The expected bytes were derived
 * from the schemas of Kafka's group coordinator ({@code ConsumerGroup*Key/Value.json}: the key's
 * int16 is the record type, values are version 0 in the flexible encoding) and checked once
 * against Kafka 4.4's generated record classes, which read these bytes and write the same ones.
 */
class ConsumerRecordsCodecTest {

    static final UUID TOPIC = UUID.fromString("00000000-0000-4000-8000-0000000000aa");
    /** The topic id's 16 bytes. */
    static final String TOPIC_HEX = "0000000000004000" + "80000000000000aa";
    static final PartitionSet ZERO_AND_THREE = new PartitionSet.Builder().add(TOPIC, 0).add(TOPIC, 3).build();

    private static void assertLayout(GroupRecord record, String keyHex, String valueHex) {
        GroupLog.Entry entry = GroupRecordCodec.encode(record);
        assertThat(HexFormat.of().formatHex(entry.key())).isEqualTo(keyHex);
        assertThat(HexFormat.of().formatHex(entry.value())).isEqualTo(valueHex);
        assertThat(GroupRecordCodec.decode(ByteBuffer.wrap(entry.key()), ByteBuffer.wrap(entry.value())))
                .isEqualTo(record);
    }

    @Test
    void theGroupsEpochWithItsMetadataHashInTaggedFieldZero() {
        // key: type 3, "g"; value: version 0, epoch 7, one tagged field (tag 0, 8 bytes: the hash)
        assertLayout(new GroupRecord.ConsumerGroupMetadata("g", new GroupRecord.StoredConsumerGroup(7,
                0x1122334455667788L)), "0003" + "0001" + "67", "0000" + "00000007" + "01" + "00" + "08"
                + "1122334455667788");
    }

    @Test
    void aMembersMetadata() {
        // compact strings: length + 1 (0 for null); the topic names a compact array; no tagged fields
        assertLayout(new GroupRecord.ConsumerMemberMetadata("g", "m", new GroupRecord.StoredConsumerMember("inst",
                null, "cid", "/h", List.of("orders", "pay"), null, 30_000, "uniform")),
                "0005" + "0001" + "67" + "0001" + "6d",
                "0000" + "05696e7374" + "00" + "04636964" + "032f68" + "03" + "076f7264657273" + "04706179" + "00"
                        + "00007530" + "08756e69666f726d" + "00");
    }

    @Test
    void aClassicMembersMetadataCarriesItsSessionTimeoutAndProtocolsInTaggedFieldZero() {
        // ClassicMemberMetadata is a nullable struct in tagged field 0: its size counts the presence
        // byte (01) before the struct {session timeout, [name, metadata, no tags], no tags}
        assertLayout(new GroupRecord.ConsumerMemberMetadata("g", "m", new GroupRecord.StoredConsumerMember(null,
                null, "c", "/h", List.of("t"), null, 30_000, null, new GroupRecord.ClassicMetadata(10_000,
                        List.of(new MemberProtocol("range", new byte[] {1, 2}))))),
                "0005" + "0001" + "67" + "0001" + "6d",
                "0000" + "00" + "00" + "0263" + "032f68" + "02" + "0274" + "00" + "00007530" + "00"
                        + "01" + "00" + "11" + "01"
                        + "00002710" + "02" + "0672616e6765" + "030102" + "00" + "00");
    }

    @Test
    void theTargetAssignmentsEpochAndAMembersTarget() {
        assertLayout(new GroupRecord.TargetAssignmentMetadata("g", 7), "0006" + "0001" + "67", "0000" + "00000007" + "00");
        assertLayout(new GroupRecord.TargetAssignmentMember("g", "m", ZERO_AND_THREE), "0007" + "0001" + "67" + "0001" + "6d",
                "0000" + "02" + TOPIC_HEX + "03" + "00000000" + "00000003" + "00"
                        + "00");
    }

    @Test
    void aMembersCurrentAssignment() {
        PartitionSet five = new PartitionSet.Builder().add(TOPIC, 5).build();
        assertLayout(new GroupRecord.CurrentMemberAssignment("g", "m", new MemberAssignment(7, 6,
                MemberState.UNREVOKED_PARTITIONS, ZERO_AND_THREE, five)), "0008" + "0001" + "67" + "0001" + "6d",
                "0000" + "00000007" + "00000006" + "01"
                        + "02" + TOPIC_HEX + "03" + "00000000" + "00000003" + "00"
                        + "02" + TOPIC_HEX + "02" + "00000005" + "00"
                        + "00");
    }

    @Test
    void nullValuesAreTheTombstones() {
        for (GroupRecord tombstone : List.of(new GroupRecord.ConsumerGroupMetadata("g", null),
                new GroupRecord.ConsumerMemberMetadata("g", "m", null), new GroupRecord.TargetAssignmentMetadata("g", null),
                new GroupRecord.TargetAssignmentMember("g", "m", null), new GroupRecord.CurrentMemberAssignment("g", "m", null))) {
            GroupLog.Entry entry = GroupRecordCodec.encode(tombstone);
            assertThat(entry.value()).isNull();
            assertThat(GroupRecordCodec.decode(ByteBuffer.wrap(entry.key()), null)).isEqualTo(tombstone);
        }
    }

    @Test
    void taggedFieldsOfANewerKafkaAreSkipped() {
        // ConsumerGroupMetadataValue with the hash (tag 0) and a creation time (tag 1, KIP-1282)
        byte[] value = HexFormat.of().parseHex("0000" + "00000009" + "02" + "00" + "08" + "0000000000000005" + "01" + "08"
                + "00000000000003e8");
        GroupRecord decoded = GroupRecordCodec.decode(ByteBuffer.wrap(HexFormat.of().parseHex("0003000167")),
                ByteBuffer.wrap(value));
        assertThat(decoded).isEqualTo(new GroupRecord.ConsumerGroupMetadata("g", new GroupRecord.StoredConsumerGroup(9, 5)));
    }

    @Test
    void truncatedValuesAndUnknownVersionsAreRefused() {
        GroupLog.Entry entry = GroupRecordCodec.encode(new GroupRecord.CurrentMemberAssignment("g", "m",
                new MemberAssignment(7, 6, MemberState.STABLE, ZERO_AND_THREE, PartitionSet.EMPTY)));
        for (int cut = 2; cut < entry.value().length; cut++) {
            byte[] truncated = Arrays.copyOf(entry.value(), cut);
            assertThatThrownBy(() -> GroupRecordCodec.decode(ByteBuffer.wrap(entry.key()), ByteBuffer.wrap(truncated)))
                    .as("cut at %d", cut).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] v1 = entry.value().clone();
        v1[1] = 1;
        assertThatThrownBy(() -> GroupRecordCodec.decode(ByteBuffer.wrap(entry.key()), ByteBuffer.wrap(v1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void assignmentEpochsGoInTaggedFieldZeroOfEachTopicAlignedWithItsPartitions() {
        // KIP-1251: the TopicPartitions struct's tag 0, a compact int32 array (3 bytes length+2, then two epochs)
        assertLayout(new GroupRecord.CurrentMemberAssignment("g", "m", new MemberAssignment(7, 6, MemberState.STABLE,
                ZERO_AND_THREE, PartitionSet.EMPTY, Map.of(TOPIC, Map.of(0, 2, 3, 7)))),
                "0008" + "0001" + "67" + "0001" + "6d",
                "0000" + "00000007" + "00000006" + "00"
                        + "02" + TOPIC_HEX + "03" + "00000000" + "00000003" + "01" + "00" + "09" + "03" + "00000002"
                        + "00000007"
                        + "01"
                        + "00");
    }
}
