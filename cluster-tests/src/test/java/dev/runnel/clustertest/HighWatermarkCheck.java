package dev.runnel.clustertest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * The high watermark checks over the {@link HighWatermarkObserver}'s answers. An answer is a
 * regression when
 * <ol>
 *   <li>it is below an answer of the same leader epoch that came back before it was asked for
 *       (within an epoch the high watermark only grows), or</li>
 *   <li>it is not above an offset that a producer had been told was acknowledged before it was
 *       asked for, while its epoch is at least the epoch that acknowledged the record. That epoch is
 *       taken as the controller's current leader epoch of the partition when the acknowledgement
 *       came ({@link LeaderEpochHistory}), and at least the epoch the record was written in (its
 *       batch's, as read back). A leader of that epoch had the record below its high watermark,
 *       and every later leader has it too: Kafka answers ListOffsets with OFFSET_NOT_AVAILABLE
 *       rather than with a high watermark below the start of the leader's own epoch.</li>
 * </ol>
 * A deposed leader that has not heard of its successor may still answer with its own, older epoch
 * and high watermark, below offsets acknowledged by its successors: a stale read, which Kafka
 * allows; answers whose epoch is older than the controller's at the question are counted apart.
 *
 * <p>Answers come every 200 ms, so one episode (a broker answering the same wrong value for a
 * while) is many regressions; the evidence lists episodes, each with its count and time span.
 */
final class HighWatermarkCheck {

    private static final int EPISODES = 20;

    record Result(long regressions, long stale, List<String> episodes) {
    }

    /** An acknowledgement: its record's write epoch, the controller's epoch at the moment, the larger one. */
    private record AckAt(long offset, int epoch, int written, int controller, long nanos, long millis, String value) {
    }

    private record EpisodeKey(int partition, int broker, int epoch, long highWatermark, String why) {
    }

    private static final class Episode {
        final HighWatermarkObserver.Observation first;
        final String detail;
        HighWatermarkObserver.Observation last;
        int count;

        Episode(HighWatermarkObserver.Observation first, String detail) {
            this.first = first;
            this.last = first;
            this.detail = detail;
        }
    }

    private HighWatermarkCheck() {
    }

    /**
     * @param epochs per partition, the leader epoch of the batch holding each offset, as read back
     */
    static Result check(Map<Integer, int[]> epochs, LeaderEpochHistory history, List<NemesisProducer> producers,
            List<HighWatermarkObserver.Observation> observations) {
        Map<Integer, List<AckAt>> acks = new HashMap<>();
        for (NemesisProducer producer : producers) {
            for (NemesisProducer.Ack ack : producer.acks()) {
                int[] written = epochs.get(ack.partition());
                if (ack.offset() < 0 || written == null || ack.offset() >= written.length
                        || written[(int) ack.offset()] < 0) {
                    continue; // lost, or acknowledged without an offset: the read-back checks count it
                }
                int writtenIn = written[(int) ack.offset()];
                int controller = history.epochAt(ack.partition(), ack.millis());
                acks.computeIfAbsent(ack.partition(), p -> new ArrayList<>()).add(new AckAt(ack.offset(),
                        Math.max(writtenIn, controller), writtenIn, controller, ack.nanos(), ack.millis(),
                        NemesisProducer.value(producer.id(), ack.seq())));
            }
        }
        Map<Integer, List<HighWatermarkObserver.Observation>> byPartition = new TreeMap<>();
        observations.forEach(o -> byPartition.computeIfAbsent(o.partition(), p -> new ArrayList<>()).add(o));
        Map<EpisodeKey, Episode> episodes = new LinkedHashMap<>();
        long regressions = 0;
        long stale = 0;
        for (Map.Entry<Integer, List<HighWatermarkObserver.Observation>> entry : byPartition.entrySet()) {
            int partition = entry.getKey();
            List<HighWatermarkObserver.Observation> answers = new ArrayList<>(entry.getValue());
            answers.sort(Comparator.comparingLong(HighWatermarkObserver.Observation::sentNanos));
            List<AckAt> acked = new ArrayList<>(acks.getOrDefault(partition, List.of()));
            acked.sort(Comparator.comparingLong(AckAt::nanos));
            TreeMap<Integer, AckAt> highestAckByEpoch = new TreeMap<>();
            Map<Integer, PriorityQueue<HighWatermarkObserver.Observation>> answeredByEpoch = new HashMap<>();
            Map<Integer, HighWatermarkObserver.Observation> highestByEpoch = new HashMap<>();
            int next = 0;
            for (HighWatermarkObserver.Observation o : answers) {
                while (next < acked.size() && acked.get(next).nanos() < o.sentNanos()) {
                    AckAt a = acked.get(next++);
                    highestAckByEpoch.merge(a.epoch(), a, (x, y) -> x.offset() >= y.offset() ? x : y);
                }
                if (o.leaderEpoch() < history.epochAt(partition, o.sentAt().toEpochMilli())) {
                    stale++;
                }
                boolean regressed = false;
                AckAt bound = highestAckByEpoch.headMap(o.leaderEpoch(), true).values().stream()
                        .max(Comparator.comparingLong(AckAt::offset)).orElse(null);
                if (bound != null && o.highWatermark() <= bound.offset()) {
                    regressed = true;
                    note(episodes, new EpisodeKey(partition, o.broker(), o.leaderEpoch(), o.highWatermark(), "acked"), o,
                            String.format("at or below offset %d (%s, written at epoch %d), acknowledged at %s, %d ms "
                                    + "before, when the controller's epoch was %d", bound.offset(), bound.value(),
                                    bound.written(), java.time.Instant.ofEpochMilli(bound.millis()),
                                    (o.sentNanos() - bound.nanos()) / 1_000_000, bound.controller()));
                }
                PriorityQueue<HighWatermarkObserver.Observation> answered = answeredByEpoch.computeIfAbsent(
                        o.leaderEpoch(), e -> new PriorityQueue<>(
                                Comparator.comparingLong(HighWatermarkObserver.Observation::answeredNanos)));
                while (!answered.isEmpty() && answered.peek().answeredNanos() < o.sentNanos()) {
                    highestByEpoch.merge(o.leaderEpoch(), answered.poll(),
                            (x, y) -> x.highWatermark() >= y.highWatermark() ? x : y);
                }
                HighWatermarkObserver.Observation highest = highestByEpoch.get(o.leaderEpoch());
                if (highest != null && o.highWatermark() < highest.highWatermark()) {
                    regressed = true;
                    note(episodes, new EpisodeKey(partition, o.broker(), o.leaderEpoch(), o.highWatermark(), "epoch"), o,
                            String.format("below %d, answered by broker %d in the same epoch %d ms before",
                                    highest.highWatermark(), highest.broker(),
                                    (o.sentNanos() - highest.answeredNanos()) / 1_000_000));
                }
                answered.add(o);
                if (regressed) {
                    regressions++;
                }
            }
        }
        List<String> lines = episodes.entrySet().stream()
                .sorted(Comparator.comparing(e -> e.getValue().first.sentAt()))
                .limit(EPISODES)
                .map(e -> String.format("partition %d: broker %d at leader epoch %d answered high watermark %d %d times "
                        + "from %s for %d ms; first %s", e.getKey().partition(), e.getKey().broker(), e.getKey().epoch(),
                        e.getKey().highWatermark(), e.getValue().count, e.getValue().first.sentAt(),
                        Duration.between(e.getValue().first.sentAt(), e.getValue().last.sentAt()).toMillis(),
                        e.getValue().detail))
                .toList();
        List<String> all = new ArrayList<>(lines);
        if (episodes.size() > EPISODES) {
            all.add("... " + (episodes.size() - EPISODES) + " more episodes");
        }
        return new Result(regressions, stale, all);
    }

    private static void note(Map<EpisodeKey, Episode> episodes, EpisodeKey key, HighWatermarkObserver.Observation o,
            String detail) {
        Episode episode = episodes.computeIfAbsent(key, k -> new Episode(o, detail));
        episode.count++;
        episode.last = o;
    }
}
