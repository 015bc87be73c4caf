package dev.runnel.broker.share;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.share.ShareSessionCache.SessionKey;
import dev.runnel.broker.share.ShareSessionCache.TopicIdPartition;
import dev.runnel.testing.ManualClock;

/** Share sessions: their epochs, partitions, limit and idle expiry. */
class ShareSessionCacheTest {

    private static final SessionKey A = new SessionKey("g", "member-a");
    private static final SessionKey B = new SessionKey("g", "member-b");
    private static final TopicIdPartition P0 = new TopicIdPartition(new Uuid(1, 1), 0);
    private static final TopicIdPartition P1 = new TopicIdPartition(new Uuid(1, 1), 1);

    private final ManualClock clock = new ManualClock();
    private final ShareSessionCache cache = new ShareSessionCache(2, group -> new ShareGroupConfigs.Settings(
            ShareGroupConfigs.AutoOffsetReset.LATEST, Duration.ofSeconds(30), 5, false, Duration.ofSeconds(45),
            Duration.ofSeconds(5)), clock);

    private static void refused(Errors error, ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ShareException.class, e -> assertThat(e.error()).isEqualTo(error));
    }

    @Test
    void eachRequestMustCarryTheNextEpoch() {
        assertThat(cache.open(A, List.of(P0))).containsExactly(P0);

        assertThat(cache.next(A, 1, List.of(P1), List.of())).containsExactly(P0, P1);
        refused(Errors.INVALID_SHARE_SESSION_EPOCH, () -> cache.next(A, 1, List.of(), List.of(P0)));
        assertThat(cache.next(A, 2, List.of(), List.of(P0))).as("the refused request changed nothing")
                .containsExactly(P1);
        cache.acknowledge(A, 3);
        refused(Errors.INVALID_SHARE_SESSION_EPOCH, () -> cache.acknowledge(A, 3));
        assertThat(cache.next(A, 4, List.of(), List.of())).containsExactly(P1);
    }

    @Test
    void anUnknownSessionIsNotFoundAndShareAcknowledgeCannotOpenOne() {
        refused(Errors.SHARE_SESSION_NOT_FOUND, () -> cache.next(A, 1, List.of(), List.of()));
        refused(Errors.SHARE_SESSION_NOT_FOUND, () -> cache.acknowledge(A, -1));
        refused(Errors.INVALID_SHARE_SESSION_EPOCH, () -> cache.acknowledge(A, 0));
        assertThat(cache.size()).isZero();
    }

    @Test
    void reopeningReplacesTheSessionAndClosingEndsIt() {
        cache.open(A, List.of(P0));
        cache.next(A, 1, List.of(), List.of());

        assertThat(cache.open(A, List.of(P1))).containsExactly(P1);
        assertThat(cache.next(A, 1, List.of(), List.of())).containsExactly(P1);
        assertThat(cache.close(A)).isTrue();
        refused(Errors.SHARE_SESSION_NOT_FOUND, () -> cache.next(A, 2, List.of(), List.of()));
    }

    @Test
    void sessionsBeyondTheLimitAreRefused() {
        cache.open(A, List.of(P0));
        cache.open(B, List.of(P0));

        refused(Errors.SHARE_SESSION_LIMIT_REACHED, () -> cache.open(new SessionKey("g", "member-c"), List.of(P0)));
        assertThat(cache.open(A, List.of(P1))).as("a member's own session may be reopened").containsExactly(P1);
        cache.close(B);
        assertThat(cache.open(new SessionKey("g", "member-c"), List.of(P0))).containsExactly(P0);
    }

    @Test
    void sessionsIdleBeyondTheGroupSessionTimeoutExpire() {
        cache.open(A, List.of(P0));
        cache.open(B, List.of(P0));
        clock.advance(Duration.ofSeconds(40));
        cache.next(B, 1, List.of(), List.of());
        clock.advance(Duration.ofSeconds(6));

        assertThat(cache.expireIdle()).containsExactly(A);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.next(B, 2, List.of(), List.of())).containsExactly(P0);
    }
}
