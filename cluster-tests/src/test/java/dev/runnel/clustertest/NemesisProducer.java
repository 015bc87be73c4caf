package dev.runnel.clustertest;

import java.time.Duration;
import java.util.Arrays;
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
 * One of the nemesis's writers: a background thread sending {@code n<producer>-<seq>} for seq = 0,
 * 1, 2, ... through its own idempotent {@code acks=all} {@link KafkaProducer} (keyed
 * {@code k-<seq mod 97>}, so every partition gets data), remembering for each acknowledged seq
 * the partition, offset and moment of the acknowledgement, which also goes to the
 * {@link OffsetLedger}.
 */
final class NemesisProducer implements AutoCloseable {

    private static final int KEYS = 97;

    private final int id;
    private final KafkaProducer<String, String> producer;
    private final String topic;
    private final int perSecond;
    private final OffsetLedger ledger;
    private final Thread thread;
    private final Semaphore inFlight = new Semaphore(1_000);
    private final BitSet acked = new BitSet();
    private int[] ackPartitions = new int[1 << 14];
    private long[] ackOffsets = new long[1 << 14];
    private long[] ackNanos = new long[1 << 14];
    private long[] ackMillis = new long[1 << 14];
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong ackedCount = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private volatile boolean closed;

    NemesisProducer(int id, String bootstrap, String topic, int perSecond, OffsetLedger ledger) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "nemesis-producer-" + id);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        config.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 100);
        config.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        config.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, 5_000);
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
        this.id = id;
        this.topic = topic;
        this.perSecond = perSecond;
        this.ledger = ledger;
        this.thread = new Thread(this::run, "nemesis-producer-" + id);
        this.thread.setDaemon(true);
    }

    NemesisProducer start() {
        thread.start();
        return this;
    }

    int id() {
        return id;
    }

    static String value(int producer, int seq) {
        return "n" + producer + "-" + seq;
    }

    /** The value's id, {@code producer << 32 | seq}; -1 if it is not a nemesis value. */
    static long valueId(String value) {
        int dash = value == null ? -1 : value.indexOf('-');
        if (dash < 2 || value.charAt(0) != 'n') {
            return -1;
        }
        try {
            return (long) Integer.parseInt(value.substring(1, dash)) << 32 | Integer.parseInt(value.substring(dash + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static int producerOf(long valueId) {
        return (int) (valueId >>> 32);
    }

    static int seqOf(long valueId) {
        return (int) valueId;
    }

    static String describe(long valueId) {
        return value(producerOf(valueId), seqOf(valueId));
    }

    private void run() {
        long started = System.nanoTime();
        int seq = 0;
        try {
            while (running) {
                long wait = started + seq * 1_000_000_000L / perSecond - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                int s = seq++;
                sent.incrementAndGet();
                try {
                    producer.send(new ProducerRecord<>(topic, "k-" + (s % KEYS), value(id, s)), (metadata, e) -> {
                        long now = System.nanoTime();
                        long wall = System.currentTimeMillis();
                        inFlight.release();
                        if (e == null) {
                            acknowledged(s, metadata.partition(), metadata.hasOffset() ? metadata.offset() : -1, now,
                                    wall);
                        } else {
                            failed.incrementAndGet();
                            if (failures.size() < 10) {
                                failures.add(value(id, s) + " at " + java.time.LocalTime.now(java.time.ZoneOffset.UTC)
                                        + ": " + e);
                            }
                        }
                    });
                } catch (RuntimeException e) {
                    // max.block.ms passed while the cluster had no metadata to give: the record was never sent
                    inFlight.release();
                    failed.incrementAndGet();
                    if (failures.size() < 10) {
                        failures.add(value(id, s) + ": send threw " + e);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void acknowledged(int seq, int partition, long offset, long nanos, long millis) {
        if (seq >= ackOffsets.length) {
            int size = Math.max(seq + 1, ackOffsets.length * 2);
            ackPartitions = Arrays.copyOf(ackPartitions, size);
            ackOffsets = Arrays.copyOf(ackOffsets, size);
            ackNanos = Arrays.copyOf(ackNanos, size);
            ackMillis = Arrays.copyOf(ackMillis, size);
        }
        acked.set(seq);
        ackPartitions[seq] = partition;
        ackOffsets[seq] = offset;
        ackNanos[seq] = nanos;
        ackMillis[seq] = millis;
        ackedCount.incrementAndGet();
        ledger.record(partition, offset, (long) id << 32 | seq, OffsetLedger.Source.ACK);
    }

    /**
     * Stops sending and waits up to {@code timeout} for the outcome of every record sent; records
     * still unanswered then are failed by the producer's close (their outcome is unknown: they
     * may be in the log, but they count as not acknowledged).
     *
     * @return how many records were still unanswered at the stop
     */
    long stop(Duration timeout) throws InterruptedException {
        running = false;
        thread.join(40_000);
        long pending = sent.get() - ackedCount.get() - failed.get();
        closed = true;
        producer.close(timeout);
        return pending;
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

    /** One acknowledgement: where, and when the callback ran ({@link System#nanoTime()} and wall clock). */
    record Ack(int seq, int partition, long offset, long nanos, long millis) {
    }

    /** Every acknowledgement so far, in seq order. */
    synchronized List<Ack> acks() {
        return acked.stream().mapToObj(s -> new Ack(s, ackPartitions[s], ackOffsets[s], ackNanos[s], ackMillis[s])).toList();
    }

    synchronized boolean isAcked(int seq) {
        return acked.get(seq);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            running = false;
            producer.close(Duration.ofSeconds(5));
        }
    }
}
