package dev.runnel.broker.protocol;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.purgatory.DelayedOperation;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.common.TopicPartition;

/**
 * An {@code acks=all} produce whose appends succeeded on the leader and now wait for the ISR: it
 * completes when every partition's high watermark has passed its batches, or answers
 * REQUEST_TIMED_OUT for those that have not when the request's timeout passes.
 */
final class DelayedProduce extends DelayedOperation {

    /** One appended partition: where its batches end, and its answer once known. */
    static final class Pending {
        final Partition partition;
        final long requiredOffset;
        volatile Errors outcome;

        Pending(Partition partition, long requiredOffset) {
            this.partition = partition;
            this.requiredOffset = requiredOffset;
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
            if (p.outcome != null) {
                continue;
            }
            try {
                if (p.partition.isReplicatedTo(p.requiredOffset)) {
                    p.outcome = Errors.NONE;
                } else {
                    all = false;
                }
            } catch (ReplicaException e) {
                p.outcome = KafkaErrors.of(e);
            }
        }
        return all && forceComplete();
    }

    @Override
    protected void onComplete() {
        for (Pending p : pending.values()) {
            if (p.outcome == null) {
                p.outcome = Errors.REQUEST_TIMED_OUT;
            }
        }
        respond.accept(pending);
    }
}
