package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.runnel.common.TopicPartition;

class CheckpointFileTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);
    private static final TopicPartition PAYMENTS_7 = new TopicPartition("pay.ments-eu", 7);

    @TempDir
    Path dir;

    private CheckpointFile<Map.Entry<TopicPartition, Long>> checkpoint() {
        return new CheckpointFile<>(dir.resolve("recovery-point-offset-checkpoint"),
                CheckpointFile.keyedOffsets(TopicPartition::directoryName, TopicPartition::fromDirectoryName));
    }

    private void writeRaw(String contents) throws Exception {
        Files.writeString(checkpoint().file(), contents, StandardCharsets.UTF_8);
    }

    private List<String> filesInDir() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void entriesWrittenAreReadBackInOrder() throws Exception {
        var file = checkpoint();
        List<Map.Entry<TopicPartition, Long>> entries = List.of(Map.entry(ORDERS_1, 42L), Map.entry(ORDERS_0, 0L),
                Map.entry(PAYMENTS_7, Long.MAX_VALUE));

        file.write(entries);

        assertThat(file.read()).containsExactlyElementsOf(entries);
        assertThat(checkpoint().read()).containsExactlyElementsOf(entries);
    }

    @Test
    void theFileHoldsTheVersionTheCountAndOneLinePerEntry() throws Exception {
        checkpoint().write(List.of(Map.entry(ORDERS_0, 10L), Map.entry(ORDERS_1, 20L)));

        assertThat(Files.readAllLines(checkpoint().file()))
                .containsExactly(String.valueOf(CheckpointFile.VERSION), "2", "orders-0 10", "orders-1 20");
    }

    @Test
    void anEmptyListRoundTrips() throws Exception {
        checkpoint().write(List.of());

        assertThat(Files.exists(checkpoint().file())).isTrue();
        assertThat(checkpoint().read()).isEmpty();
    }

    @Test
    void aMissingFileReadsAsNoEntries() throws Exception {
        assertThat(Files.exists(checkpoint().file())).isFalse();

        assertThat(checkpoint().read()).isEmpty();
    }

    @Test
    void aCustomFormatRoundTrips() throws Exception {
        CheckpointFile.Format<String> format = new CheckpointFile.Format<>() {
            @Override
            public String toLine(String entry) {
                return entry.toUpperCase();
            }

            @Override
            public String fromLine(String line) {
                return line.toLowerCase();
            }
        };
        CheckpointFile<String> file = new CheckpointFile<>(dir.resolve("words"), format);

        file.write(List.of("alpha", "beta"));

        assertThat(Files.readAllLines(file.file())).containsExactly("0", "2", "ALPHA", "BETA");
        assertThat(file.read()).containsExactly("alpha", "beta");
    }

    @Test
    void aWriteReplacesThePreviousContentsAndLeavesNoTemporaryFile() throws Exception {
        var file = checkpoint();
        file.write(List.of(Map.entry(ORDERS_0, 1L), Map.entry(ORDERS_1, 2L), Map.entry(PAYMENTS_7, 3L)));

        file.write(List.of(Map.entry(ORDERS_0, 100L)));

        assertThat(file.read()).containsExactly(Map.entry(ORDERS_0, 100L));
        assertThat(filesInDir()).containsExactly("recovery-point-offset-checkpoint");
    }

    @Test
    void aTemporaryFileLeftByACrashedWriteIsOverwrittenAndRemoved() throws Exception {
        var file = checkpoint();
        Path tmp = dir.resolve("recovery-point-offset-checkpoint.tmp");
        Files.writeString(tmp, "0\n5\ngarbage that is longer than the real checkpoint will be\n\n\n\n\n");

        file.write(List.of(Map.entry(ORDERS_0, 7L)));

        assertThat(Files.exists(tmp)).isFalse();
        assertThat(file.read()).containsExactly(Map.entry(ORDERS_0, 7L));
        assertThat(filesInDir()).containsExactly("recovery-point-offset-checkpoint");
    }

    @Test
    void linesBeyondTheCountAreIgnored() throws Exception {
        writeRaw("0\n1\norders-0 5\norders-1 6\n");

        assertThat(checkpoint().read()).containsExactly(Map.entry(ORDERS_0, 5L));
    }

    @Test
    void surroundingWhitespaceIsTolerated() throws Exception {
        writeRaw(" 0 \n 1 \n orders-0 5 \n");

        assertThat(checkpoint().read()).containsExactly(Map.entry(ORDERS_0, 5L));
    }

    @ParameterizedTest(name = "version line \"{0}\"")
    @ValueSource(strings = {"1", "-1", "x", ""})
    void anUnknownVersionIsCorrupt(String version) throws Exception {
        writeRaw(version + "\n1\norders-0 5\n");

        assertThatThrownBy(() -> checkpoint().read())
                .isInstanceOf(CheckpointFile.CorruptCheckpointException.class)
                .hasMessageContaining(checkpoint().file().toString());
    }

    @Test
    void anEmptyFileIsCorrupt() throws Exception {
        writeRaw("");

        assertThatThrownBy(() -> checkpoint().read()).isInstanceOf(CheckpointFile.CorruptCheckpointException.class);
    }

    @Test
    void aFileWithoutACountIsCorrupt() throws Exception {
        writeRaw("0\n");

        assertThatThrownBy(() -> checkpoint().read()).isInstanceOf(CheckpointFile.CorruptCheckpointException.class);
    }

    @Test
    void aCountLargerThanTheLinesIsCorrupt() throws Exception {
        writeRaw("0\n3\norders-0 5\norders-1 6\n");

        assertThatThrownBy(() -> checkpoint().read())
                .isInstanceOf(CheckpointFile.CorruptCheckpointException.class)
                .hasMessageContaining("expected 3 entries, found 2");
    }

    @ParameterizedTest(name = "count \"{0}\"")
    @ValueSource(strings = {"-1", "two", "1.5"})
    void aCountThatIsNotANonNegativeNumberIsCorrupt(String count) throws Exception {
        writeRaw("0\n" + count + "\norders-0 5\n");

        assertThatThrownBy(() -> checkpoint().read()).isInstanceOf(CheckpointFile.CorruptCheckpointException.class);
    }

    @ParameterizedTest(name = "line \"{0}\"")
    @ValueSource(strings = {"orders-0", "orders-0 5 6", "orders-0 five", "orders 5", "orders-x 5", ""})
    void aMalformedLineIsCorrupt(String line) throws Exception {
        writeRaw("0\n1\n" + line + "\n");

        assertThatThrownBy(() -> checkpoint().read()).isInstanceOf(CheckpointFile.CorruptCheckpointException.class);
    }

    @Test
    void aFileOfBinaryGarbageIsCorrupt() throws Exception {
        Files.write(checkpoint().file(), new byte[] {'0', '\n', (byte) 0xFF, (byte) 0xFE, (byte) 0xC3, 0x28, '\n'});

        assertThatThrownBy(() -> checkpoint().read()).isInstanceOf(CheckpointFile.CorruptCheckpointException.class);
    }

    @Test
    void aFileOfZerosLeftByACrashIsCorrupt() throws Exception {
        Files.write(checkpoint().file(), new byte[64]);

        assertThatThrownBy(() -> checkpoint().read()).isInstanceOf(CheckpointFile.CorruptCheckpointException.class);
    }

    @Test
    void aCorruptFileIsFixedByTheNextWrite() throws Exception {
        writeRaw("not a checkpoint");
        var file = checkpoint();

        file.write(List.of(Map.entry(ORDERS_1, 9L)));

        assertThat(file.read()).containsExactly(Map.entry(ORDERS_1, 9L));
    }
}
