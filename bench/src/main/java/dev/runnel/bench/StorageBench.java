package dev.runnel.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the storage benchmarks through the JMH {@link Runner} and prints a summary: MiB/s,
 * records/s and, for appends, the percentage of the raw {@code FileChannel} write bandwidth for
 * the same batch size measured in the same run. Arguments are JMH's own (e.g. {@code -wi 1 -i 2},
 * or a regexp selecting benchmarks); by default every benchmark in {@code dev.runnel.bench.storage} runs.
 * Files go under {@code -Drunnel.test.tmpdir} (default {@code java.io.tmpdir}), which picks the disk.
 */
public final class StorageBench {

    /** The acceptance target: appends of 1 MiB batches at this fraction of raw bandwidth or more. */
    static final double TARGET = 0.80;

    private static final double MIB = 1024.0 * 1024.0;
    private static final String APPEND = "AppendBenchmark.log";
    private static final String RAW = "AppendBenchmark.rawFileChannel";

    private StorageBench() {
    }

    public static void main(String[] args) throws RunnerException, CommandLineOptionException {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder options = new OptionsBuilder();
        options.parent(cli);
        if (cli.getIncludes().isEmpty()) {
            options.include("dev\\.runnel\\.bench\\.storage\\..*");
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        System.out.println();
        System.out.print(table(results));
    }

    /** One benchmark's figures; {@code batchBytes} is null for reads. */
    private record Row(String method, String batchBytes, double bytesPerSec, double bytesError, double recordsPerSec) {

        String label() {
            String size = batchBytes == null ? "" : humanSize(Integer.parseInt(batchBytes));
            return switch (method) {
                case APPEND -> "append, " + size + " batches";
                case RAW -> "raw FileChannel write, " + size + " buffers";
                case RAW + "FsyncOnRoll" -> "raw write + fsync on roll, " + size + " buffers";
                case "ReadBenchmark.transferToDevNull" -> "read, 1 MiB fetches (transferTo /dev/null)";
                case "ReadBenchmark.copyToDirectBuffer" -> "read, 1 MiB fetches (copy to direct buffer)";
                default -> method + (batchBytes == null ? "" : " " + size);
            };
        }
    }

    /** The summary table of {@code results}, followed by the verdict on the 1 MiB target. */
    static String table(Collection<RunResult> results) {
        List<Row> rows = new ArrayList<>();
        Map<String, Double> rawBytesPerSec = new HashMap<>();
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            String method = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
            Result<?> bytes = result.getSecondaryResults().get("bytes");
            Result<?> records = result.getSecondaryResults().get("records");
            if (bytes == null || records == null) {
                continue;
            }
            Row row = new Row(method, result.getParams().getParam("batchBytes"), bytes.getScore(),
                    bytes.getScoreError(), records.getScore());
            rows.add(row);
            if (method.equals(RAW)) {
                rawBytesPerSec.put(row.batchBytes(), row.bytesPerSec());
            }
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-46s %9s %9s %12s %9s%n", "case", "MiB/s", "± MiB/s", "records/s",
                "% of raw"));
        String verdict = "";
        for (Row row : rows) {
            Double raw = row.method().equals(APPEND) ? rawBytesPerSec.get(row.batchBytes()) : null;
            String percent = "-";
            if (raw != null && raw > 0) {
                double fraction = row.bytesPerSec() / raw;
                percent = String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
                if (row.batchBytes().equals(String.valueOf(1024 * 1024))) {
                    verdict = String.format(Locale.ROOT,
                            "%nappend of 1 MiB batches: %.1f%% of raw FileChannel bandwidth (target >= %.0f%%): %s%n",
                            100 * fraction, 100 * TARGET, fraction >= TARGET ? "met" : "NOT met");
                }
            }
            double error = Double.isNaN(row.bytesError()) ? 0 : row.bytesError();
            out.append(String.format(Locale.ROOT, "%-46s %9.1f %9.1f %12.0f %9s%n", row.label(),
                    row.bytesPerSec() / MIB, error / MIB, row.recordsPerSec(), percent));
        }
        return out.append(verdict).toString();
    }

    private static String humanSize(int bytes) {
        if (bytes % (1024 * 1024) == 0) {
            return bytes / (1024 * 1024) + " MiB";
        }
        return bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " B";
    }
}
