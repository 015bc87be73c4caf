package dev.runnel.broker.protocol;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.quota.ClientQuotas;
import dev.runnel.broker.security.Session;
import dev.runnel.common.time.Scheduler;

/**
 * Where the request pipeline meets the client quotas ({@link ClientQuotas}): after a request is
 * handled, how long its client is throttled, the longest of its produce byte rate (the request's
 * bytes), fetch byte rate (the response's record bytes) and request time (the handler's time), as
 * Kafka's {@code KafkaApis} takes the larger of the bandwidth and request throttles. The time goes
 * into the response's {@code throttle_time_ms}; the connection mutes itself for it
 * ({@link KafkaConnection}).
 *
 * <p>Exempt, as in Kafka: other brokers (replica fetches, inter-broker calls), ApiVersions and the
 * SASL exchange. With no quota set {@link #active()} is one volatile read and nothing is measured.
 */
final class RequestThrottler {

    /** Throttles nobody. */
    static final RequestThrottler NONE = new RequestThrottler(null, null);

    private static final Set<ApiKeys> EXEMPT = EnumSet.of(ApiKeys.API_VERSIONS, ApiKeys.SASL_HANDSHAKE,
            ApiKeys.SASL_AUTHENTICATE);

    private final ClientQuotas quotas;
    private final Scheduler scheduler;

    RequestThrottler(ClientQuotas quotas, Scheduler scheduler) {
        this.quotas = quotas;
        this.scheduler = scheduler;
    }

    /** Whether any client quota is set: the one check on the request path when none is. */
    boolean active() {
        return quotas != null && quotas.enabled();
    }

    /**
     * Records {@code request} (of {@code requestBytes}, handled in {@code handlerNanos}, answered
     * with {@code response}, null for none) against its client's quotas; returns the throttle in ms.
     */
    long throttleMs(KafkaWire.Request request, int requestBytes, ApiMessage response, long handlerNanos) {
        if (!active() || EXEMPT.contains(request.apiKey())) {
            return 0;
        }
        Session session = request.session();
        if (session.broker().isPresent()) {
            return 0;
        }
        String user = session.principal().name();
        String clientId = request.clientId() == null ? "" : request.clientId();
        long bandwidth = 0;
        if (request.apiKey() == ApiKeys.PRODUCE) {
            bandwidth = quotas.recordProduce(user, clientId, requestBytes);
        } else if (request.apiKey() == ApiKeys.FETCH && response != null && !followerFetch(request)) {
            bandwidth = quotas.recordFetch(user, clientId, KafkaWire.fetchedBytes(response));
        }
        long time = quotas.recordRequestTime(user, clientId, handlerNanos);
        return Math.max(bandwidth, time);
    }

    /** Runs {@code task} after {@code delay} (the end of a throttle). */
    void schedule(Runnable task, Duration delay) {
        scheduler.schedule("client-quota-unthrottle", task, delay);
    }

    private static boolean followerFetch(KafkaWire.Request request) {
        FetchRequestData data = (FetchRequestData) request.body();
        int replicaId = request.version() >= 15 ? data.replicaState().replicaId() : data.replicaId();
        return replicaId >= 0;
    }
}
