package dev.runnel.clustertest;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A background thread sending {@code p-<seq>} for seq = 0, 1, 2, ... through one idempotent
 * {@code acks=all} {@link KafkaProducer} (keyed {@code k-<seq mod 97>}, so every partition gets
 * data), remembering which sequence numbers were acknowledged (callback without exception) and
 * which failed.
 */
final class SequencedProducer implements AutoCloseable {

    static final int KEYS = 97;

    private final KafkaProducer<String, String> producer;
    private final String topic;
    private final Thread thread;
    private final Semaphore inFlight = new Semaphore(2_000);
    private final BitSet acked = new BitSet();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong ackedCount = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private volatile boolean closed;

    /** Sends about {@code perSecond} records a second until {@link #stop()}. */
    SequencedProducer(String bootstrap, String topic, int perSecond, Map<String, Object> overrides) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000);
        config.put("metadata.max.age.ms", 5_000);
        config.putAll(overrides);
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
        this.topic = topic;
        this.thread = new Thread(() -> run(perSecond), "sequenced-producer");
        this.thread.setDaemon(true);
    }

    SequencedProducer start() {
        thread.start();
        return this;
    }

    static String value(long seq) {
        return "p-" + seq;
    }

    static long seqOf(String value) {
        return Long.parseLong(value.substring(2));
    }

    private void run(int perSecond) {
        long started = System.nanoTime();
        long seq = 0;
        try {
            while (running) {
                long due = started + seq * 1_000_000_000L / perSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                int s = (int) seq++;
                sent.incrementAndGet();
                producer.send(new ProducerRecord<>(topic, "k-" + (s % KEYS), value(s)), (metadata, e) -> {
                    inFlight.release();
                    if (e == null) {
                        synchronized (acked) {
                            acked.set(s);
                        }
                        ackedCount.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                        if (failures.size() < 20) {
                            failures.add(value(s) + ": " + e);
                        }
                    }
                });
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            failures.add("send threw " + e);
        }
    }

    /** Stops sending and waits for every sent record's outcome (at most the delivery timeout). */
    void stop() throws InterruptedException {
        running = false;
        thread.join(10_000);
        producer.flush();
    }

    long sent() {
        return sent.get();
    }

    long acknowledged() {
        return ackedCount.get();
    }

    long failed() {
        return failed.get();
    }

    List<String> failures() {
        return List.copyOf(failures);
    }

    BitSet ackedSeqs() {
        synchronized (acked) {
            return (BitSet) acked.clone();
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            running = false;
            producer.close(java.time.Duration.ofSeconds(5));
        }
    }
}
