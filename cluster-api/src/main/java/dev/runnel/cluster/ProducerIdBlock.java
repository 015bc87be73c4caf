package dev.runnel.cluster;

/**
 * A block of producer ids for idempotent producers, handed by the controller to one broker, which
 * gives them out one by one. Blocks never overlap: the last one handed out is kept in ZooKeeper
 * ({@link ZkPaths#PRODUCER_IDS}) and each new one starts after it.
 *
 * @param brokerId the broker the block was given to
 * @param first    the first id of the block
 * @param size     how many ids it holds
 */
public record ProducerIdBlock(int brokerId, long first, int size) {

    /** The size of every block, as in Kafka. */
    public static final int SIZE = 1000;

    /** The first id after this block. */
    public long next() {
        return first + size;
    }
}
