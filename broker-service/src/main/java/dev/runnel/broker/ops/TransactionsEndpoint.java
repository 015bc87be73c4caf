package dev.runnel.broker.ops;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.stereotype.Component;

import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.ProducerStateManager;

/**
 * {@code /actuator/transactions}: for every partition led here with an open transaction or a last
 * stable offset behind its high watermark, the open transactions (producer id, first offset, age)
 * and both offsets: where a read_committed consumer is held up, and by which producer.
 */
@Component
@Endpoint(id = "transactions")
class TransactionsEndpoint {

    /** One open transaction on a partition. */
    record OpenTransaction(long producerId, long firstOffset, long ageMs) {
    }

    /** A partition held up by transactions. */
    record PartitionTransactions(String topic, int partition, long highWatermark, long lastStableOffset,
            List<OpenTransaction> open) {
    }

    private final ReplicaManager replicas;
    private final Clock clock;

    TransactionsEndpoint(ReplicaManager replicas, Clock clock) {
        this.replicas = replicas;
        this.clock = clock;
    }

    @ReadOperation
    List<PartitionTransactions> transactions() {
        long now = clock.millis();
        List<PartitionTransactions> out = new ArrayList<>();
        for (Partition p : replicas.partitions()) {
            if (!p.isLeader()) {
                continue;
            }
            List<ProducerStateManager.TxnMetadata> open = p.log().ongoingTransactions();
            long hw = p.log().highWatermark();
            long lso = p.log().lastStableOffset();
            if (open.isEmpty() && lso >= hw) {
                continue;
            }
            out.add(new PartitionTransactions(p.topicPartition().topic(), p.topicPartition().partition(), hw, lso,
                    open.stream().map(t -> new OpenTransaction(t.producerId(), t.firstOffset(), now - t.startedMs()))
                            .toList()));
        }
        out.sort((a, b) -> a.topic().equals(b.topic()) ? Integer.compare(a.partition(), b.partition())
                : a.topic().compareTo(b.topic()));
        return out;
    }
}
