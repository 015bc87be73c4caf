package dev.runnel.broker.replication;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a leader knows of its followers, from their fetches (Kafka's replica state on the leader):
 * each one's log end and when it last had everything the leader had. Only meaningful while
 * leading; {@link PartitionLeadership} resets it at every new leadership.
 */
final class Followers {

    /** One follower. */
    static final class State {
        /** The follower's log end offset as its last fetch reported it; -1 until it fetches. */
        volatile long endOffset = -1;
        /** The last time the follower had everything the leader had (Kafka's lastCaughtUpTimeMs). */
        volatile long lastCaughtUpMs;
        private volatile long lastFetchMs;
        private volatile long lastFetchLeaderEndOffset = -1;

        State(long nowMs) {
            this.lastCaughtUpMs = nowMs;
            this.lastFetchMs = nowMs;
        }

        /**
         * A fetch from {@code fetchOffset} (the follower's log end) while the leader's log ended at
         * {@code leaderEnd}: the follower caught up now if it had everything, or at its previous
         * fetch if it has now everything the leader had then.
         */
        void fetched(long fetchOffset, long leaderEnd, long nowMs) {
            if (fetchOffset >= leaderEnd) {
                lastCaughtUpMs = Math.max(lastCaughtUpMs, nowMs);
            } else if (fetchOffset >= lastFetchLeaderEndOffset) {
                lastCaughtUpMs = Math.max(lastCaughtUpMs, lastFetchMs);
            }
            lastFetchLeaderEndOffset = leaderEnd;
            lastFetchMs = nowMs;
            endOffset = fetchOffset;
        }
    }

    private final Map<Integer, State> states = new ConcurrentHashMap<>();

    /** Forgets everything: each of {@code replicas} but {@code localBrokerId} starts caught up at {@code nowMs}. */
    void reset(List<Integer> replicas, int localBrokerId, long nowMs) {
        states.clear();
        for (int replica : replicas) {
            if (replica != localBrokerId) {
                states.put(replica, new State(nowMs));
            }
        }
    }

    /**
     * Follows a new replica set within the same leadership: replicas no longer in {@code replicas}
     * are forgotten, new ones start caught up at {@code nowMs}, the others keep their state.
     */
    void retain(List<Integer> replicas, int localBrokerId, long nowMs) {
        states.keySet().removeIf(replica -> !replicas.contains(replica));
        for (int replica : replicas) {
            if (replica != localBrokerId) {
                states.computeIfAbsent(replica, r -> new State(nowMs));
            }
        }
    }

    /** The follower's state, or null if {@code replica} is not a follower. */
    State get(int replica) {
        return states.get(replica);
    }

    /** How long the member of {@code isr} longest without catching up has been behind, in ms. */
    long maxLagMs(List<Integer> isr, long nowMs) {
        long lag = 0;
        for (Map.Entry<Integer, State> f : states.entrySet()) {
            if (isr.contains(f.getKey())) {
                lag = Math.max(lag, nowMs - f.getValue().lastCaughtUpMs);
            }
        }
        return lag;
    }

    /** Messages the slowest member of {@code isr} that has fetched is behind {@code leaderEnd}. */
    long maxLagMessages(List<Integer> isr, long leaderEnd) {
        long lag = 0;
        for (Map.Entry<Integer, State> f : states.entrySet()) {
            if (isr.contains(f.getKey()) && f.getValue().endOffset >= 0) {
                lag = Math.max(lag, leaderEnd - f.getValue().endOffset);
            }
        }
        return lag;
    }
}
