package dev.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The storage engine's layers, as {@code storage/package-info.java} and
 * {@code record/package-info.java} state them: {@code record} (the record format) at the bottom,
 * {@code storage} on it, the wire adapter {@code kafka} and everything else above. A name counts
 * whether it is imported or written out in full, so a fully qualified name cannot hide a
 * dependency.
 */
class StorageLayersTest {

    private static final Path BROKER = Path.of("src/main/java/dev/runnel/broker");
    private static final Pattern RUNNEL_PACKAGE = Pattern.compile("dev\\.runnel\\.((?:broker\\.)?[a-z]+)");

    @Test
    void storageDependsOnlyOnTheRecordFormatAndCommon() {
        assertThat(runnelPackagesUsedBy("storage")).isSubsetOf(Set.of("broker.storage", "broker.record", "common"));
    }

    @Test
    void theRecordFormatDependsOnNoOtherRunnelPackage() {
        assertThat(runnelPackagesUsedBy("record")).isSubsetOf(Set.of("broker.record"));
    }

    /** The Runnel packages ({@code common}, {@code broker.storage}, ...) that the sources of {@code pkg} name. */
    private static Set<String> runnelPackagesUsedBy(String pkg) {
        Path dir = BROKER.resolve(pkg);
        assertThat(dir).isDirectory();
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> sources = files.filter(p -> p.toString().endsWith(".java")).toList();
            assertThat(sources).isNotEmpty();
            return sources.stream().flatMap(StorageLayersTest::runnelPackages)
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Stream<String> runnelPackages(Path source) {
        try {
            return RUNNEL_PACKAGE.matcher(Files.readString(source)).results().map(match -> match.group(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
