/**
 * The Kafka protocol listener and one handler per API family.
 *
 * <pre>
 * socket bytes
 *   --> IdleStateHandler        connections.max.idle.ms: an idle connection with nothing waiting closes
 *   --> RequestFrameDecoder     int32 size (0..socket.request.max.bytes, else the connection closes);
 *                               the frame's memory reserved from the listener's RequestMemoryPool
 *                               (queued.max.request.bytes: the connection stops reading while it
 *                               cannot), then the frame read once into a heap buffer of its size
 *   --> KafkaConnection         header, known API and version, parse (failures: bad framing, close);
 *                               on the event loop
 *   --> RequestDispatcher       the API's handler (KafkaApis, through MetadataReadinessGate) on a
 *                               request-handler thread (num.io.threads, 8; with 0, or for a
 *                               connection alone on its loop, on the event loop), one
 *                               request of a connection at a time; at most
 *                               queued.max.requests wait, else connections stop reading
 *   --> *Handler                Produce, Fetch, ListOffsets, Metadata, topic admin, groups, ...:
 *                               translate between the wire and the replica manager, the group
 *                               coordinator and the controller
 *   <-- KafkaConnection         answers written in request order at the request's version, on the
 *                               event loop; a failing handler or an unwritable answer becomes
 *                               UNKNOWN_SERVER_ERROR, the connection kept; a client over one of
 *                               its quotas (RequestThrottler) gets throttle_time_ms and the
 *                               connection reads nothing more from it for that long
 * </pre>
 *
 * Which (API, version) pairs are served is {@link dev.runnel.broker.protocol.ApiVersionTable}, and
 * every pair in it is covered by the protocol conformance suite in {@code cluster-tests}. Handlers
 * use only kafka-clients' generated message classes; request framing and record bytes on the wire
 * go through {@code dev.runnel.broker.kafka}, the record batch format through
 * {@code dev.runnel.broker.record}.
 */
package dev.runnel.broker.protocol;
