package dev.runnel.broker.storage;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import dev.runnel.broker.storage.ProducerStateManager.VerificationGuard;

/**
 * The verifications under way on one partition (KIP-890 part 1), by producer id: for a producer
 * with no open transaction here, the {@link VerificationGuard} its first transactional batch must
 * carry. As Kafka's, one guard per producer stays until the transaction opens, a marker ends it
 * or it expires: a producer pipelines requests, and a later one verified meanwhile must not make
 * the first one's guard stale. Not snapshotted: a restart starts them afresh.
 *
 * <p>Not thread-safe: part of the {@link ProducerStateManager}, guarded as it is.
 */
final class TransactionVerifications {

    /** A verification under way: its guard, the newest epoch it was asked for, when it started. */
    private record Verification(VerificationGuard guard, short epoch, long startedMs) {
    }

    private final Map<Long, Verification> byProducer = new HashMap<>();

    /**
     * The guard of the producer's verification under way, started now at {@code epoch} if there is
     * none; a newer epoch is noted on the one under way, which keeps its guard and start time.
     */
    VerificationGuard start(long producerId, short epoch, long nowMs) {
        Verification current = byProducer.get(producerId);
        if (current != null) {
            if (epoch > current.epoch()) {
                byProducer.put(producerId, new Verification(current.guard(), epoch, current.startedMs()));
            }
            return current.guard();
        }
        VerificationGuard guard = new VerificationGuard(producerId);
        byProducer.put(producerId, new Verification(guard, epoch, nowMs));
        return guard;
    }

    /** The guard of the producer's verification under way, if any. */
    Optional<VerificationGuard> guard(long producerId) {
        Verification v = byProducer.get(producerId);
        return v == null ? Optional.empty() : Optional.of(v.guard());
    }

    /**
     * Checks that {@code guard} is the one of the producer's verification under way.
     *
     * @throws LogException {@link LogError#INVALID_TXN_STATE} if it is not, or none is
     */
    void checkVerified(long producerId, VerificationGuard guard) {
        Verification verification = byProducer.get(producerId);
        if (guard == null || verification == null || verification.guard() != guard) {
            throw new LogException(LogError.INVALID_TXN_STATE, "the transactional batch of producer " + producerId
                    + " is not part of an ongoing transaction: it was not verified with the transaction coordinator");
        }
    }

    /** The producer's transaction opened here, or a marker ended it: its verification is over. */
    void remove(long producerId) {
        byProducer.remove(producerId);
    }

    /** Drops the verifications started {@code expirationMs} or more before {@code nowMs}. */
    void removeExpired(long nowMs, long expirationMs) {
        byProducer.values().removeIf(v -> nowMs - v.startedMs() >= expirationMs);
    }

    void clear() {
        byProducer.clear();
    }
}
