package dev.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/**
 * A share group's records in Kafka 4.x's layout (KIP-932). The expected bytes were derived from
 * the schemas of Kafka's group coordinator ({@code ShareGroup*Key/Value.json}: the key's int16 is
 * the record type, values are version 0 in the flexible encoding) and checked once against Kafka
 * 4.3's generated record classes, which read these bytes and write the same ones.
 */
class ShareRecordsCodecTest {

    static final UUID TOPIC = ConsumerRecordsCodecTest.TOPIC;
    static final String TOPIC_HEX = ConsumerRecordsCodecTest.TOPIC_HEX;
    static final PartitionSet ZERO_AND_THREE = ConsumerRecordsCodecTest.ZERO_AND_THREE;

    private static void assertLayout(GroupRecord record, String keyHex, String valueHex) {
        GroupLog.Entry entry = GroupRecordCodec.encode(record);
        assertThat(HexFormat.of().formatHex(entry.key())).isEqualTo(keyHex);
        assertThat(HexFormat.of().formatHex(entry.value())).isEqualTo(valueHex);
        assertThat(GroupRecordCodec.decode(ByteBuffer.wrap(entry.key()), ByteBuffer.wrap(entry.value())))
                .isEqualTo(record);
    }

    @Test
    void theGroupsEpochAndMetadataHash() {
        // key: type 11, "g"; value: version 0, epoch 7, hash (a plain field here, not tagged), no tags
        assertLayout(new GroupRecord.ShareGroupMetadata("g", new GroupRecord.StoredShareGroup(7, 0x1122334455667788L)),
                "000b" + "0001" + "67", "0000" + "00000007" + "1122334455667788" + "00");
    }

    @Test
    void aMembersMetadata() {
        // rack id null (0), client id, client host, the topic names as a compact array; no tagged fields
        assertLayout(new GroupRecord.ShareMemberMetadata("g", "m", new GroupRecord.StoredShareMember(null, "cid", "/h",
                List.of("orders", "pay"))), "000a" + "0001" + "67" + "0001" + "6d",
                "0000" + "00" + "04636964" + "032f68" + "03" + "076f7264657273" + "04706179" + "00");
    }

    @Test
    void theTargetAssignmentsEpochAMembersTargetAndItsCurrentAssignment() {
        assertLayout(new GroupRecord.ShareTargetMetadata("g", 7), "000c" + "0001" + "67", "0000" + "00000007" + "00");
        assertLayout(new GroupRecord.ShareTargetMember("g", "m", ZERO_AND_THREE), "000d" + "0001" + "67" + "0001" + "6d",
                "0000" + "02" + TOPIC_HEX + "03" + "00000000" + "00000003" + "00" + "00");
        // member epoch 7, previous 6, state 0 (STABLE), the assigned partitions
        assertLayout(new GroupRecord.ShareCurrentAssignment("g", "m", new GroupRecord.StoredShareAssignment(7, 6,
                ZERO_AND_THREE)), "000e" + "0001" + "67" + "0001" + "6d",
                "0000" + "00000007" + "00000006" + "00" + "02" + TOPIC_HEX + "03" + "00000000" + "00000003" + "00"
                        + "00");
    }

    @Test
    void theSharePartitionsWhoseStateTheGroupHas() {
        // initializing: none; initialized: the topic with partitions 0 and 3; deleting: the topic by id and name
        assertLayout(new GroupRecord.ShareStatePartitions("g", new GroupRecord.StoredShareStatePartitions(List.of(),
                List.of(new GroupRecord.ShareTopicPartitions(TOPIC, "t", List.of(0, 3))),
                List.of(new GroupRecord.ShareTopicPartitions(TOPIC, "t", List.of())))), "000f" + "0001" + "67",
                "0000" + "01" + "02" + TOPIC_HEX + "0274" + "03" + "00000000" + "00000003" + "00"
                        + "02" + TOPIC_HEX + "0274" + "00" + "00");
    }

    @Test
    void nullValuesAreTheTombstones() {
        for (GroupRecord tombstone : List.of(new GroupRecord.ShareGroupMetadata("g", null),
                new GroupRecord.ShareMemberMetadata("g", "m", null), new GroupRecord.ShareTargetMetadata("g", null),
                new GroupRecord.ShareTargetMember("g", "m", null), new GroupRecord.ShareCurrentAssignment("g", "m", null),
                new GroupRecord.ShareStatePartitions("g", null))) {
            GroupLog.Entry entry = GroupRecordCodec.encode(tombstone);
            assertThat(entry.value()).isNull();
            assertThat(GroupRecordCodec.decode(ByteBuffer.wrap(entry.key()), null)).isEqualTo(tombstone);
        }
    }

    @Test
    void theAssignmentTimestampOfKafka43IsSkipped() {
        // ShareGroupTargetAssignmentMetadataValue with AssignmentTimestamp in tagged field 0 (KIP-1263)
        byte[] value = HexFormat.of().parseHex("0000" + "00000009" + "01" + "00" + "08" + "00000000000003e8");
        assertThat(GroupRecordCodec.decode(ByteBuffer.wrap(HexFormat.of().parseHex("000c000167")), ByteBuffer.wrap(value)))
                .isEqualTo(new GroupRecord.ShareTargetMetadata("g", 9));
    }

    @Test
    void truncatedValuesAndUnknownVersionsAreRefused() {
        GroupLog.Entry entry = GroupRecordCodec.encode(new GroupRecord.ShareMemberMetadata("g", "m",
                new GroupRecord.StoredShareMember("rack", "cid", "/h", List.of("orders"))));
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
}
