package dev.runnel.broker.share;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.config.ShareGroupConfigs;

/**
 * The share sessions of this broker (Kafka's {@code ShareSessionCache}): per group id and member
 * id, the partitions the member fetches here and the epoch its next request must carry.
 *
 * <pre>
 *   ShareFetch epoch 0     opens a session (replacing one the member had), no acknowledgements allowed
 *   ShareFetch epoch n     the session's next epoch: partitions added, forgotten; the epoch moves to n+1
 *   ShareFetch epoch -1    acknowledgements only; the session closes after them
 *   ShareAcknowledge n/-1  as ShareFetch, without fetching; epoch 0 is INVALID_SHARE_SESSION_EPOCH
 *   unknown session        SHARE_SESSION_NOT_FOUND; wrong epoch: INVALID_SHARE_SESSION_EPOCH
 * </pre>
 *
 * At most {@code maxSessions} sessions are open ({@code group.share.max.share.sessions}); another
 * is SHARE_SESSION_LIMIT_REACHED. A session idle for longer than its group's
 * {@code share.session.timeout.ms} is closed by {@link #expireIdle} (its member has left the group).
 * A refused call changes nothing. Thread-safe.
 */
public final class ShareSessionCache {

    /** A session's key. */
    public record SessionKey(String groupId, String memberId) {
    }

    /** A partition of a session, as the wire names it. */
    public record TopicIdPartition(Uuid topicId, int partition) {
    }

    private static final class Session {
        int epoch;
        long lastUsed;
        final Set<TopicIdPartition> partitions = new LinkedHashSet<>();
    }

    private final int maxSessions;
    private final ShareGroupConfigs configs;
    private final Clock clock;
    private final Map<SessionKey, Session> sessions = new HashMap<>();

    public ShareSessionCache(int maxSessions, ShareGroupConfigs configs, Clock clock) {
        this.maxSessions = maxSessions;
        this.configs = configs;
        this.clock = clock;
    }

    /** Opens {@code key}'s session (epoch 0) with {@code partitions}; returns them. */
    public synchronized List<TopicIdPartition> open(SessionKey key, List<TopicIdPartition> partitions) {
        if (!sessions.containsKey(key) && sessions.size() >= maxSessions) {
            throw new ShareException(Errors.SHARE_SESSION_LIMIT_REACHED, "this broker has " + sessions.size()
                    + " share sessions open, the most it keeps (group.share.max.share.sessions)");
        }
        Session session = new Session();
        session.epoch = 1;
        session.lastUsed = clock.millis();
        session.partitions.addAll(partitions);
        sessions.put(key, session);
        return List.copyOf(session.partitions);
    }

    /**
     * The next request of {@code key}'s session at {@code epoch}: adds {@code added}, removes
     * {@code forgotten}, moves the epoch on; returns the session's partitions.
     */
    public synchronized List<TopicIdPartition> next(SessionKey key, int epoch, List<TopicIdPartition> added,
            List<TopicIdPartition> forgotten) {
        Session session = expect(key, epoch);
        session.partitions.removeAll(forgotten);
        session.partitions.addAll(added);
        session.epoch = nextEpoch(epoch);
        session.lastUsed = clock.millis();
        return List.copyOf(session.partitions);
    }

    /**
     * A ShareAcknowledge on {@code key}'s session: epoch 0 cannot open one; -1 needs it to exist (it
     * is closed by {@link #close} once the acknowledgements are done); any other must be the next.
     */
    public synchronized void acknowledge(SessionKey key, int epoch) {
        if (epoch == 0) {
            throw new ShareException(Errors.INVALID_SHARE_SESSION_EPOCH, "ShareAcknowledge cannot open a share session");
        }
        if (epoch == -1) {
            exists(key);
            return;
        }
        Session session = expect(key, epoch);
        session.epoch = nextEpoch(epoch);
        session.lastUsed = clock.millis();
    }

    /** Checks that {@code key} has a session (a request at epoch -1, before its acknowledgements). */
    public synchronized void exists(SessionKey key) {
        if (!sessions.containsKey(key)) {
            throw new ShareException(Errors.SHARE_SESSION_NOT_FOUND, "no share session for member " + key.memberId()
                    + " of group " + key.groupId());
        }
    }

    /** Closes {@code key}'s session; returns whether there was one. */
    public synchronized boolean close(SessionKey key) {
        return sessions.remove(key) != null;
    }

    /** Closes the sessions idle for longer than their group's session timeout; returns their keys. */
    public synchronized List<SessionKey> expireIdle() {
        long now = clock.millis();
        List<SessionKey> expired = new ArrayList<>();
        sessions.entrySet().removeIf(e -> {
            boolean idle = now - e.getValue().lastUsed > configs.settings(e.getKey().groupId()).sessionTimeout().toMillis();
            if (idle) {
                expired.add(e.getKey());
            }
            return idle;
        });
        return expired;
    }

    /** Whether any member of {@code groupId} has a session here. */
    public synchronized boolean hasSessions(String groupId) {
        return sessions.keySet().stream().anyMatch(key -> key.groupId().equals(groupId));
    }

    public synchronized int size() {
        return sessions.size();
    }

    private Session expect(SessionKey key, int epoch) {
        exists(key);
        Session session = sessions.get(key);
        if (session.epoch != epoch) {
            throw new ShareException(Errors.INVALID_SHARE_SESSION_EPOCH, "share session epoch " + epoch
                    + " of member " + key.memberId() + " is not the expected " + session.epoch);
        }
        return session;
    }

    private static int nextEpoch(int epoch) {
        return epoch == Integer.MAX_VALUE ? 1 : epoch + 1;
    }
}
