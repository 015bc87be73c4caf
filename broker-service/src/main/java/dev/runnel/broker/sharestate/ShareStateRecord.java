package dev.runnel.broker.sharestate;

import dev.runnel.broker.sharestate.ShareStatePersister.Key;

/**
 * One record of {@code __share_group_state}: the whole state of a share partition, or its
 * tombstone ({@code snapshot} null), which compaction keeps until it removes the key.
 */
public record ShareStateRecord(Key key, ShareSnapshot snapshot) {

    public boolean tombstone() {
        return snapshot == null;
    }
}
