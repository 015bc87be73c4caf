package dev.runnel.client.listener;

/** When a listener container commits offsets. */
public enum AckMode {

    /** After each record the listener returned from. */
    RECORD,

    /** After all records of a poll were processed (the default: fewest commits, same guarantee). */
    BATCH,

    /** What the listener acknowledged, once the poll's records are processed. */
    MANUAL,

    /**
     * What the listener acknowledged, at once when {@link Acknowledgment#acknowledge()} is called on
     * the listener's thread (from another thread: before the consumer's next poll).
     */
    MANUAL_IMMEDIATE
}
