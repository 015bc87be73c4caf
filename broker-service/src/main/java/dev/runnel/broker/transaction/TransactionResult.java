package dev.runnel.broker.transaction;

/** How a transaction ends: the EndTxn flag, and the type of the control records (markers) it leaves in each partition. */
public enum TransactionResult {
    COMMIT,
    ABORT;

    /** The result EndTxn's {@code Committed} flag asks for. */
    public static TransactionResult of(boolean committed) {
        return committed ? COMMIT : ABORT;
    }
}
