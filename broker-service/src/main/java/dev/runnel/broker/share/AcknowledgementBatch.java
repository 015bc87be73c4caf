package dev.runnel.broker.share;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One acknowledgement batch of a request: offsets {@code firstOffset..lastOffset} and either one
 * type for all of them or one type per offset.
 */
public record AcknowledgementBatch(long firstOffset, long lastOffset, List<AcknowledgeType> types) {

    /** @param types null for a wire id that names no type (refused when the batch is applied) */
    public AcknowledgementBatch {
        types = Collections.unmodifiableList(new ArrayList<>(types));
    }

    /** The type of {@code offset}, which lies in the batch. */
    AcknowledgeType typeOf(long offset) {
        return types.size() == 1 ? types.get(0) : types.get((int) (offset - firstOffset));
    }
}
