package dev.runnel.broker.sharestate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.sharestate.ShareStatePersister.Key;
import dev.runnel.broker.sharestate.ShareStatePersister.StateBatch;

/**
 * The bytes of {@code __share_group_state} records against Kafka's ShareSnapshotKey (v0) and
 * ShareSnapshotValue (v0, flexible) schemas, assembled here field by field from the schemas, and
 * what a reader does with truncated, foreign or junk bytes.
 */
class ShareStateRecordCodecTest {

    static final Uuid TOPIC = new Uuid(0x0102030405060708L, 0x090a0b0c0d0e0f10L);
    static final Key KEY = new Key("gr", TOPIC, 5);
    static final ShareSnapshot SNAPSHOT = new ShareSnapshot(3, 2, 7, 100, 4, 1_000, 2_000,
            List.of(new StateBatch(100, 103, (byte) 2, (short) 1), new StateBatch(104, 104, (byte) 0, (short) 3)));

    @Test
    void theKeyIsTheRecordTypeThenShareSnapshotKeyVersion0() {
        assertThat(HexFormat.of().formatHex(ShareStateRecordCodec.key(KEY)))
                .isEqualTo("0000" + "0002" + hex("gr") + "0102030405060708" + "090a0b0c0d0e0f10" + "00000005");
    }

    @Test
    void theValueIsShareSnapshotValueVersion0WithTheDeliveryCompleteCountAsTag0() {
        String expected = "0000" // version
                + "00000003" + "00000002" + "00000007" // snapshot, state and leader epochs
                + "0000000000000064" // start offset
                + "00000000000003e8" + "00000000000007d0" // create and write timestamps
                + "03" // compact array of 2
                + "0000000000000064" + "0000000000000067" + "02" + "0001" + "00"
                + "0000000000000068" + "0000000000000068" + "00" + "0003" + "00"
                + "01" + "00" + "04" + "00000004"; // one tagged field: tag 0, 4 bytes, the count

        assertThat(HexFormat.of().formatHex(ShareStateRecordCodec.value(SNAPSHOT))).isEqualTo(expected);
    }

    @Test
    void anUnknownDeliveryCompleteCountIsLeftOutAsKafkasDefault() {
        ShareSnapshot unknown = new ShareSnapshot(0, 1, 0, -1, -1, 5, 5, List.of());
        byte[] value = ShareStateRecordCodec.value(unknown);

        assertThat(value[value.length - 1]).as("no tagged fields").isZero();
        assertThat(value).hasSize(2 + 4 * 3 + 8 * 3 + 1 + 1);
        assertThat(decode(ShareStateRecordCodec.key(KEY), value).snapshot()).isEqualTo(unknown);
    }

    @Test
    void aRecordDecodesToWhatWasEncodedAndATombstoneToNoSnapshot() {
        assertThat(decode(ShareStateRecordCodec.key(KEY), ShareStateRecordCodec.value(SNAPSHOT)))
                .isEqualTo(new ShareStateRecord(KEY, SNAPSHOT));
        assertThat(ShareStateRecordCodec.value(null)).isNull();
        assertThat(decode(ShareStateRecordCodec.key(KEY), null)).isEqualTo(new ShareStateRecord(KEY, null));
    }

    @Test
    void unknownTaggedFieldsAreSkipped() {
        byte[] value = ShareStateRecordCodec.value(new ShareSnapshot(0, 1, 0, 0, -1, 5, 5, List.of()));
        byte[] withTag = Arrays.copyOf(value, value.length + 4);
        withTag[value.length - 1] = 1; // one tagged field
        withTag[value.length] = 9; // tag 9
        withTag[value.length + 1] = 2; // 2 bytes
        assertThat(decode(ShareStateRecordCodec.key(KEY), withTag).snapshot().startOffset()).isZero();
    }

    @Test
    void everyTruncationOfARecordIsRefusedAndNeverMisread() {
        byte[] key = ShareStateRecordCodec.key(KEY);
        byte[] value = ShareStateRecordCodec.value(SNAPSHOT);
        for (int cut = 0; cut < key.length; cut++) {
            byte[] shortKey = Arrays.copyOf(key, cut);
            assertThatThrownBy(() -> decode(shortKey, value)).as("key cut at " + cut)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        for (int cut = 0; cut < value.length; cut++) {
            byte[] shortValue = Arrays.copyOf(value, cut);
            assertThatThrownBy(() -> decode(key, shortValue)).as("value cut at " + cut)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void shareUpdateRecordsUnknownTypesAndVersionsAreRefused() {
        byte[] key = ShareStateRecordCodec.key(KEY);
        byte[] update = key.clone();
        update[1] = 1;
        byte[] unknown = key.clone();
        unknown[1] = 9;
        byte[] value = ShareStateRecordCodec.value(SNAPSHOT);
        byte[] laterVersion = value.clone();
        laterVersion[1] = 1;
        byte[] hugeCount = ShareStateRecordCodec.value(new ShareSnapshot(0, 1, 0, 0, -1, 5, 5, List.of()));
        hugeCount[2 + 12 + 24] = 0x7f;

        assertThatThrownBy(() -> decode(update, value)).hasMessageContaining("ShareUpdate");
        assertThatThrownBy(() -> decode(unknown, value)).hasMessageContaining("type 9");
        assertThatThrownBy(() -> decode(key, laterVersion)).hasMessageContaining("version 1");
        assertThatThrownBy(() -> decode(key, hugeCount)).isInstanceOf(IllegalArgumentException.class);
    }

    private static ShareStateRecord decode(byte[] key, byte[] value) {
        return ShareStateRecordCodec.decode(ByteBuffer.wrap(key), value == null ? null : ByteBuffer.wrap(value));
    }

    private static String hex(String s) {
        return HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
    }
}
