package dev.runnel.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Records per second through the gateway's {@code POST /topics/{topic}} (batches of 100 records,
 * binary format, several clients at once) against the same records sent straight to the brokers
 * by a {@code KafkaProducer} (acks=all, idempotent), each client waiting for its batch of 100 to
 * be acknowledged before sending the next: the same request-and-answer pattern. Run it against
 * a running cluster and gateway, such as {@code bin/quickstart}'s; the topic must exist.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.runnel.bench.GatewayLoad --gateway http://127.0.0.1:8080 \
 *   --user admin --password-file .quickstart/gateway-admin-password --bootstrap 127.0.0.1:9092 \
 *   --topic gateway-load --clients 8 --batch 100 --value-bytes 100 --seconds 30
 * </pre>
 */
public final class GatewayLoad {

    private GatewayLoad() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>(Map.of("gateway", "http://127.0.0.1:8080", "user", "admin",
                "bootstrap", "127.0.0.1:9092", "topic", "gateway-load", "clients", "8", "batch", "100",
                "value-bytes", "100", "seconds", "30", "warmup-seconds", "5"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String password = options.containsKey("password") ? options.get("password")
                : Files.readString(Path.of(options.getOrDefault("password-file", ".quickstart/gateway-admin-password"))).trim();
        int clients = Integer.parseInt(options.get("clients"));
        int batch = Integer.parseInt(options.get("batch"));
        int valueBytes = Integer.parseInt(options.get("value-bytes"));
        Duration measure = Duration.ofSeconds(Long.parseLong(options.get("seconds")));
        Duration warmup = Duration.ofSeconds(Long.parseLong(options.get("warmup-seconds")));
        String topic = options.get("topic");

        byte[] value = new byte[valueBytes];
        Arrays.fill(value, (byte) 'x');
        String encodedValue = Base64.getEncoder().encodeToString(value);
        StringBuilder body = new StringBuilder("{\"records\": [");
        for (int i = 0; i < batch; i++) {
            body.append(i == 0 ? "" : ",").append("{\"key\": \"")
                    .append(Base64.getEncoder().encodeToString(("key-" + i).getBytes(StandardCharsets.UTF_8)))
                    .append("\", \"value\": \"").append(encodedValue).append("\"}");
        }
        body.append("]}");
        String requestBody = body.toString();
        String auth = "Basic " + Base64.getEncoder().encodeToString((options.get("user") + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        URI target = URI.create(options.get("gateway") + "/topics/" + topic);

        System.out.printf("%d clients, batches of %d records of %d bytes, %s warm-up, %s measured%n", clients, batch,
                valueBytes, warmup, measure);
        Result overHttp = run("gateway POST /topics/" + topic, clients, batch, warmup, measure, () -> {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/vnd.kafka.binary.v2+json").header("Authorization", auth)
                    .POST(HttpRequest.BodyPublishers.ofString(requestBody)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200 || response.body().contains("\"error\"")) {
                throw new IllegalStateException("gateway answered " + response.statusCode() + ": " + response.body());
            }
        });

        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.get("bootstrap"));
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        Result direct;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            byte[][] keys = new byte[batch][];
            for (int i = 0; i < batch; i++) {
                keys[i] = ("key-" + i).getBytes(StandardCharsets.UTF_8);
            }
            direct = run("kafka-clients producer, same batches", clients, batch, warmup, measure, () -> {
                List<Future<RecordMetadata>> sent = new ArrayList<>(batch);
                for (int i = 0; i < batch; i++) {
                    sent.add(producer.send(new ProducerRecord<>(topic, keys[i], value)));
                }
                for (Future<RecordMetadata> f : sent) {
                    f.get();
                }
            });
        }
        System.out.printf("gateway overhead: %.1f%% fewer records/s than producing directly%n",
                100.0 * (1 - overHttp.recordsPerSecond() / direct.recordsPerSecond()));
    }

    /** A unit of work: one batch sent and acknowledged. */
    interface Batch {
        void send() throws Exception;
    }

    record Result(double recordsPerSecond) {
    }

    private static Result run(String name, int clients, int batch, Duration warmup, Duration measure, Batch work)
            throws InterruptedException {
        AtomicLong batches = new AtomicLong();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + measure.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end && failures.isEmpty()) {
                    long began = System.nanoTime();
                    try {
                        work.send();
                    } catch (Throwable e) {
                        failures.add(e);
                        return;
                    }
                    long done = System.nanoTime();
                    if (began >= measureFrom && done <= end) {
                        batches.incrementAndGet();
                        latencies.add(done - began);
                    }
                }
            }, "load-" + c);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(name + " failed", failures.peek());
        }
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        double seconds = measure.toNanos() / 1e9;
        double perSecond = batches.get() * batch / seconds;
        System.out.printf("%-40s %,10.0f records/s  batch latency p50 %5.1f ms  p99 %6.1f ms  (%,d batches)%n", name,
                perSecond, percentile(sorted, 0.50), percentile(sorted, 0.99), batches.get());
        return new Result(perSecond);
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))] / 1e6;
    }
}
