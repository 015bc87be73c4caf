package dev.runnel.clustertest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The nemesis's readers: a consumer group of {@code members} unmodified {@link KafkaConsumer}s
 * (classic protocol, one thread each) that {@code subscribe()} to the topic and, after each poll,
 * commit synchronously the offsets after the records it returned; every record read goes to the
 * {@link OffsetLedger}, and every acknowledged commit is remembered, so the end can check that the
 * group's committed offsets are not below any of them. A member whose call fails goes on polling;
 * one whose consumer broke is replaced by a new one in the group. The committed offsets as the
 * coordinators answer them during the run are the {@link CommittedOffsetObserver}'s.
 *
 * <p>A member backs off after a fault (200 ms after a failed call, 1 s before replacing its
 * consumer) in its own thread, waiting on the {@code stopping} latch, so that
 * {@link #stopMembers()} ends the wait at once. Not as a task scheduled to run later: a
 * {@link KafkaConsumer} must only be used by the thread that owns it, and the member's thread is
 * the one that polls, commits and closes it, so the pause belongs in that thread's loop.
 */
final class NemesisGroup implements AutoCloseable {

    private final String bootstrap;
    private final String topic;
    private final String group;
    private final OffsetLedger ledger;
    private final List<Thread> threads = new ArrayList<>();
    private final List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
    private final Admin admin;
    private final AtomicLong consumed = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final Map<Integer, Long> acknowledgedCommits = new TreeMap<>();
    private final AtomicLong commits = new AtomicLong();
    /** Counted down by {@link #stopMembers()}: the members stop, and a member backing off wakes at once. */
    private final CountDownLatch stopping = new CountDownLatch(1);

    NemesisGroup(String bootstrap, String topic, String group, OffsetLedger ledger) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.group = group;
        this.ledger = ledger;
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        this.admin = Admin.create(config);
    }

    NemesisGroup start(int members) {
        for (int m = 0; m < members; m++) {
            int member = m;
            threads.add(new Thread(() -> consume(member), "nemesis-group-member-" + m));
        }
        threads.forEach(t -> {
            t.setDaemon(true);
            t.start();
        });
        return this;
    }

    private KafkaConsumer<String, String> newConsumer(int member) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, group + "-" + member);
        config.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1_000);
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        config.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5_000);
        config.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new StringDeserializer());
        synchronized (consumers) {
            consumers.add(consumer);
        }
        return consumer;
    }

    private boolean running() {
        return stopping.getCount() > 0;
    }

    private void consume(int member) {
        while (running()) {
            KafkaConsumer<String, String> consumer = newConsumer(member);
            try {
                consumer.subscribe(List.of(topic));
                while (running()) {
                    try {
                        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                        for (ConsumerRecord<String, String> r : records) {
                            ledger.record(r.partition(), r.offset(), NemesisProducer.valueId(r.value()),
                                    OffsetLedger.Source.GROUP);
                            consumed.incrementAndGet();
                            next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                        }
                        if (!next.isEmpty()) {
                            consumer.commitSync(next, Duration.ofSeconds(10));
                            commits.incrementAndGet();
                            synchronized (acknowledgedCommits) {
                                next.forEach((tp, o) -> acknowledgedCommits.merge(tp.partition(), o.offset(), Math::max));
                            }
                        }
                    } catch (WakeupException e) {
                        break;
                    } catch (org.apache.kafka.common.errors.RetriableException
                            | org.apache.kafka.clients.consumer.CommitFailedException
                            | org.apache.kafka.common.errors.RebalanceInProgressException e) {
                        errors.incrementAndGet(); // faults: poll again, rejoin if need be
                        backOff(200);
                    }
                }
            } catch (RuntimeException e) {
                if (running()) {
                    errors.incrementAndGet();
                    System.out.println("nemesis group member " + member + " replaced after " + e);
                    backOff(1_000);
                }
            } finally {
                synchronized (consumers) {
                    consumers.remove(consumer);
                }
                try {
                    consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
                } catch (RuntimeException e) {
                    // closing after a fault
                }
            }
        }
    }

    /** The group's committed offsets as Admin's listConsumerGroupOffsets answers now. */
    Map<Integer, Long> committed() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        Map<Integer, Long> offsets = new TreeMap<>();
        committed.forEach((tp, o) -> {
            if (tp.topic().equals(topic) && o != null) {
                offsets.put(tp.partition(), o.offset());
            }
        });
        return offsets;
    }

    /** Per partition, the highest offset a commitSync of this group was acknowledged for. */
    Map<Integer, Long> acknowledgedCommits() {
        synchronized (acknowledgedCommits) {
            return Map.copyOf(acknowledgedCommits);
        }
    }

    long consumed() {
        return consumed.get();
    }

    long errors() {
        return errors.get();
    }

    long commits() {
        return commits.get();
    }

    /** Waits {@code ms} after a fault, or less if the members are stopped meanwhile. */
    private void backOff(long ms) {
        try {
            stopping.await(ms, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops and closes the members: no commit is made after this returns. */
    void stopMembers() throws InterruptedException {
        stopping.countDown();
        synchronized (consumers) {
            consumers.forEach(KafkaConsumer::wakeup);
        }
        for (Thread t : threads) {
            t.join(20_000);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopMembers();
        admin.close(Duration.ofSeconds(5));
    }
}
