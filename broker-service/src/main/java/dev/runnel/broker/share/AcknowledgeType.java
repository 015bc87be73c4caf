package dev.runnel.broker.share;

/** What a consumer says of acquired records, with the wire's ids (ShareFetch / ShareAcknowledge). */
public enum AcknowledgeType {
    /** The offset holds no record the consumer saw (a compacted or control offset): archived. */
    GAP,
    /** Processed: acknowledged. */
    ACCEPT,
    /** Give it to someone else: available again (archived at the delivery count limit). */
    RELEASE,
    /** Cannot be processed: archived. */
    REJECT,
    /** Still being processed: the acquisition lock starts again (ShareFetch / ShareAcknowledge v2). */
    RENEW;

    /** The type with wire id {@code id}, or null if there is none. */
    public static AcknowledgeType of(byte id) {
        return id >= 0 && id < values().length ? values()[id] : null;
    }
}
