package dev.runnel.broker.replication;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

import dev.runnel.broker.purgatory.DelayedOperation;
import dev.runnel.common.TopicPartition;

/**
 * An {@code acks=all} append whose batches are on the leader and now wait for the ISR: it completes
 * when every partition's high watermark has passed its batches, or marks those that have not
 * REQUEST_TIMED_OUT when the timeout passes. Waits in {@link ReplicaManager}'s produce purgatory.
 */
final class DelayedProduce extends DelayedOperation {

    /** One appended partition: where its batches end, and its result once known. */
    static final class Pending {
        final Partition partition;
        final long requiredOffset;
        volatile AppendResult result;
        private final AppendResult appended;

        Pending(Partition partition, AppendResult appended) {
            this.partition = partition;
            this.appended = appended;
            this.requiredOffset = appended.info().nextOffset();
        }
    }

    private final Map<TopicPartition, Pending> pending;
    private final Consumer<Map<TopicPartition, Pending>> respond;

    DelayedProduce(Duration timeout, Map<TopicPartition, Pending> pending, Consumer<Map<TopicPartition, Pending>> respond) {
        super(timeout);
        this.pending = pending;
        this.respond = respond;
    }

    @Override
    public boolean tryComplete() {
        boolean all = true;
        for (Pending p : pending.values()) {
            if (p.result != null) {
                continue;
            }
            try {
                if (p.partition.isReplicatedTo(p.requiredOffset)) {
                    p.result = p.appended;
                } else {
                    all = false;
                }
            } catch (ReplicaException e) {
                p.result = p.appended.notAcknowledged(e);
            }
        }
        return all && forceComplete();
    }

    @Override
    protected void onComplete() {
        for (Pending p : pending.values()) {
            if (p.result == null) {
                p.result = p.appended.notAcknowledged(new ReplicaException(ReplicaError.REQUEST_TIMED_OUT,
                        "the ISR of " + p.partition.topicPartition() + " did not acknowledge offsets below "
                                + p.requiredOffset + " within " + delay().toMillis() + " ms"));
            }
        }
        respond.accept(pending);
    }
}
