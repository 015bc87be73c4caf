package dev.runnel.broker.group;

import java.util.List;

/**
 * What a coordinator operation decided, before anything changed: the records to write to
 * {@code __consumer_offsets} and the answer to give once they are written (Kafka's
 * {@code CoordinatorResult}). The state the records carry is applied only by replaying them
 * ({@link GroupMetadataManager#replay}) after the write succeeds, the same way a new coordinator
 * applies them when it loads the partition, so the two can never disagree.
 *
 * @param records  the records to write, in order; none when nothing needs persisting
 * @param response the answer if the write succeeds (a failed write answers with its error instead)
 */
record CoordinatorResult<T>(List<GroupRecord> records, T response) {

    CoordinatorResult {
        records = List.copyOf(records);
    }
}
