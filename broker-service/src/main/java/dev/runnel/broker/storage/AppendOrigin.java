package dev.runnel.broker.storage;

/**
 * Who appends as leader; it decides which batches a partition takes. As in Kafka, clients may not
 * append to internal topics such as {@code __consumer_offsets} (their coordinator does) nor write
 * control batches, and only clients' batches have their sequence numbers checked.
 */
public enum AppendOrigin {
    /** A producer's Produce request: every check, sequences included; no control batch. */
    CLIENT,
    /**
     * A coordinator of this cluster: the group coordinator's records (a transactional offset
     * commit has a producer id and epoch but no sequence) and the transaction markers that
     * WriteTxnMarkers carries. Epochs are checked, sequences are not.
     */
    COORDINATOR
}
