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
 *                               dispatch through MetadataReadinessGate to the API's handler; answers
 *                               written in request order at the request's version; a failing handler
 *                               or an unwritable answer becomes UNKNOWN_SERVER_ERROR, connection kept
 *   --> *Handler                Produce, Fetch, ListOffsets, Metadata, topic admin, groups, ...
 * </pre>
 *
 * Which (API, version) pairs are served is {@link dev.runnel.broker.protocol.ApiVersionTable}, and
 * every pair in it is covered by the protocol conformance suite in {@code cluster-tests}. Handlers
 * use only kafka-clients' generated message classes; record bytes and request framing go through
 * {@code dev.runnel.broker.kafka}.
 */
package dev.runnel.broker.protocol;
