package dev.runnel.broker.protocol;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

import dev.runnel.broker.kafka.KafkaWire;

/**
 * Keeps clients away from a broker that has not yet applied a full metadata view from the active
 * controller since it (re)started or (re)registered: such a broker could answer Metadata without
 * topics that exist, and a client would believe them gone (librdkafka: "partition count changed
 * from 6 to 0", then "Unknown topic").
 *
 * <p>Kafka's brokers do the same by not serving client requests before they have caught up with
 * the cluster metadata ({@code BrokerServer} enables request processing only after the initial
 * metadata catch-up). Runnel's listener is already open then, since followers fetch from it, so the
 * gate answers instead:
 *
 * <ul>
 *   <li>ApiVersions is always answered (clients ask it first on every connection);</li>
 *   <li>Fetch and OffsetForLeaderEpoch from a follower (replica id {@code >= 0}) pass: replication
 *       must go on while a restarted leader waits for its metadata;</li>
 *   <li>every other request closes the connection after the answers before it, which clients treat
 *       as a retriable disconnect: they refresh their metadata from another broker. A retriable
 *       error code instead is not possible for every API (a Metadata request for all topics has no
 *       error field that would not read as "there are no topics").</li>
 * </ul>
 */
final class MetadataReadinessGate implements ApiHandler {

    private final ApiKeys api;
    private final ApiHandler handler;
    private final BooleanSupplier ready;

    private MetadataReadinessGate(ApiKeys api, ApiHandler handler, BooleanSupplier ready) {
        this.api = api;
        this.handler = handler;
        this.ready = ready;
    }

    /** The handlers with every one but ApiVersions behind the gate, which opens while {@code ready} is true. */
    static Map<ApiKeys, ApiHandler> guard(Map<ApiKeys, ApiHandler> handlers, BooleanSupplier ready) {
        Map<ApiKeys, ApiHandler> guarded = new EnumMap<>(ApiKeys.class);
        handlers.forEach((api, handler) -> guarded.put(api,
                api == ApiKeys.API_VERSIONS ? handler : new MetadataReadinessGate(api, handler, ready)));
        return guarded;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        if (ready.getAsBoolean() || fromFollower(request)) {
            return handler.handle(request);
        }
        return CompletableFuture.failedFuture(new CloseConnectionException(api + " v" + request.version()
                + " before this broker has the cluster's metadata (it is starting or registering again); "
                + "the client retries elsewhere"));
    }

    /** Whether the request is a follower's replication traffic, which never waits for the metadata. */
    static boolean fromFollower(KafkaWire.Request request) {
        if (request.body() instanceof FetchRequestData fetch) {
            // Up to v14 the replica id is a field of the request, from v15 part of the replica state.
            return fetch.replicaId() >= 0 || fetch.replicaState().replicaId() >= 0;
        }
        if (request.body() instanceof OffsetForLeaderEpochRequestData epochs) {
            return epochs.replicaId() >= 0;
        }
        return false;
    }
}
