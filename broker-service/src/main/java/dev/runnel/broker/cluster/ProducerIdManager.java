package dev.runnel.broker.cluster;

import java.io.IOException;
import java.util.function.LongSupplier;

import dev.runnel.cluster.AllocateProducerIdsRequest;
import dev.runnel.cluster.AllocateProducerIdsResponse;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.ProducerIdBlock;

/**
 * Hands out producer ids for idempotent producers from blocks the controller allocates (each id
 * is unique in the cluster, across broker restarts and controller failovers). Thread-safe; a call
 * that needs a new block blocks on the controller, so callers keep it off network threads.
 */
public final class ProducerIdManager {

    /** The controller would not give a block (no active controller, or this broker's epoch is stale). */
    public static final class UnavailableException extends IOException {

        private static final long serialVersionUID = 1L;

        UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Where blocks come from. */
    public interface BlockSource {
        AllocateProducerIdsResponse allocate(AllocateProducerIdsRequest request) throws IOException;
    }

    private final int brokerId;
    private final LongSupplier brokerEpoch;
    private final BlockSource source;
    private long next;
    private long end;

    public ProducerIdManager(int brokerId, LongSupplier brokerEpoch, BlockSource source) {
        this.brokerId = brokerId;
        this.brokerEpoch = brokerEpoch;
        this.source = source;
    }

    public synchronized long nextProducerId() throws UnavailableException {
        if (next >= end) {
            ProducerIdBlock block = fetchBlock();
            next = block.first();
            end = block.next();
        }
        return next++;
    }

    private ProducerIdBlock fetchBlock() throws UnavailableException {
        AllocateProducerIdsResponse response;
        try {
            response = source.allocate(new AllocateProducerIdsRequest(brokerId, brokerEpoch.getAsLong()));
        } catch (IOException e) {
            throw new UnavailableException("cannot get producer ids from the controller: " + e.getMessage(), e);
        }
        if (response.error() != ClusterError.NONE || response.block() == null) {
            throw new UnavailableException("the controller refused producer ids: " + response.error(), null);
        }
        return response.block();
    }
}
