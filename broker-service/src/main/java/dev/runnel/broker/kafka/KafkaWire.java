package dev.runnel.broker.kafka;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageSizeAccumulator;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;

import dev.runnel.broker.security.Session;
import dev.runnel.broker.storage.FileSlice;

/**
 * Kafka request and response frames, read and written with kafka-clients' protocol classes.
 *
 * <pre>
 * request frame (after the 4-byte size)      response frame (after the 4-byte size)
 * +---------+---------+----------------+     +----------------+------------------+
 * | api key | version | correlation id |     | correlation id | (tagged fields)  |
 * | int16   | int16   | int32          |     | int32          | response body    |
 * +---------+---------+----------------+     +----------------+------------------+
 * | client id, tagged fields | body    |
 * +--------------------------+---------+
 * </pre>
 *
 * The frame given to {@link #decode} must not be reused: parsed bodies may point into it.
 */
public final class KafkaWire {

    private KafkaWire() {
    }

    /**
     * A request read from a frame; {@code parsed} is for this package only. {@code clientHost} is
     * the peer's address as Kafka shows it ({@code /127.0.0.1}), or empty when not known;
     * {@code session} is the connection's authentication.
     */
    public record Request(RequestHeader header, ApiMessage body, AbstractRequest parsed, String clientHost,
            Session session) {

        public Request withClientHost(String host) {
            return new Request(header, body, parsed, host, session);
        }

        /** This request as read on a connection whose authentication is {@code connection}. */
        public Request withSession(Session connection) {
            return new Request(header, body, parsed, clientHost, connection);
        }

        public ApiKeys apiKey() {
            return header.apiKey();
        }

        public short version() {
            return header.apiVersion();
        }

        public int correlationId() {
            return header.correlationId();
        }

        public String clientId() {
            return header.clientId();
        }
    }

    /** A frame that is not a request this library can read. */
    public static final class InvalidRequestException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        InvalidRequestException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Reads the api key and version without parsing the rest: enough to refuse a request the
     * broker does not serve.
     *
     * @return {@code [apiKey, version, correlationId]}, or null when the frame is shorter than that
     */
    public static int[] peekHeader(ByteBuffer frame) {
        if (frame.remaining() < 8) {
            return null;
        }
        int p = frame.position();
        return new int[] {frame.getShort(p), frame.getShort(p + 2), frame.getInt(p + 4)};
    }

    /** Whether kafka-clients knows this api key. */
    public static boolean knownApiKey(int apiKey) {
        return ApiKeys.hasId(apiKey);
    }

    /**
     * Parses a whole request frame.
     *
     * @throws InvalidRequestException when the frame is not a well-formed request of a version
     *                                 kafka-clients knows
     */
    public static Request decode(ByteBuffer frame) {
        try {
            RequestHeader header = RequestHeader.parse(frame);
            AbstractRequest body = AbstractRequest.parseRequest(header.apiKey(), header.apiVersion(),
                    new ByteBufferAccessor(frame)).request;
            return new Request(header, body.data(), body, "", Session.anonymous());
        } catch (RuntimeException e) {
            throw new InvalidRequestException("malformed request: " + e.getMessage(), e);
        }
    }

    /** The response the API gives for {@code error} (every partition or resource carrying it). */
    public static ApiMessage errorResponse(Request request, Errors error) {
        return request.parsed().getErrorResponse(0, error.exception()).data();
    }

    /**
     * The response frame for {@code request}: size prefix, header and body, with the records of
     * {@link #fileRecords} left in their files for a zero-copy send.
     */
    public static ResponseFrame encode(Request request, ApiMessage response) {
        ResponseHeader header = request.header().toResponseHeader();
        return frame(header.data(), header.headerVersion(), response, request.version());
    }

    private static ResponseFrame frame(ResponseHeaderData header, short headerVersion, ApiMessage body,
            short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        MessageSizeAccumulator size = new MessageSizeAccumulator();
        header.addSize(size, cache, headerVersion);
        body.addSize(size, cache, version);
        FrameWriter writer = new FrameWriter(4 + size.sizeExcludingZeroCopy());
        writer.writeInt(size.totalSize());
        header.write(writer, cache, headerVersion);
        body.write(writer, cache, version);
        return writer.finish(4 + size.totalSize());
    }

    /** A records field whose bytes stay in the segment file until the socket takes them. */
    public static BaseRecords fileRecords(FileSlice slice) {
        return new FileSliceRecords(slice);
    }

    /** An empty records field. */
    public static BaseRecords noRecords() {
        return MemoryRecords.EMPTY;
    }

    /**
     * The record batches of a produce request's partition, in place in the request's frame (which
     * the connection copied out of Netty's buffer, so it may be kept and rewritten).
     *
     * @throws IllegalArgumentException if the field holds no memory records
     */
    public static ByteBuffer producedRecords(BaseRecords records) {
        if (records instanceof MemoryRecords memoryRecords) {
            return memoryRecords.buffer().duplicate();
        }
        throw new IllegalArgumentException("produce request without record batches");
    }

    /**
     * The ApiVersions v0 answer to an ApiVersions request of a version above ours: UNSUPPORTED_VERSION
     * with our ranges, so the client retries with one we support (KIP-511).
     */
    public static ResponseFrame apiVersionsFallback(int correlationId, ApiVersionsResponseData.ApiVersionCollection ranges) {
        ApiVersionsResponseData data = new ApiVersionsResponseData()
                .setErrorCode(Errors.UNSUPPORTED_VERSION.code())
                .setApiKeys(ranges.duplicate());
        return frame(new ResponseHeaderData().setCorrelationId(correlationId), (short) 0, data, (short) 0);
    }

    // ---- client quotas ----------------------------------------------------------------------------

    /** Each response class's {@code setThrottleTimeMs(int)}, or a no-op handle when it has none. */
    private static final ClassValue<MethodHandle> THROTTLE_SETTERS = new ClassValue<>() {
        @Override
        protected MethodHandle computeValue(Class<?> type) {
            try {
                return MethodHandles.publicLookup().findVirtual(type, "setThrottleTimeMs",
                        MethodType.methodType(type, int.class)).asType(MethodType.methodType(void.class, Object.class,
                                int.class));
            } catch (ReflectiveOperationException e) {
                return MethodHandles.empty(MethodType.methodType(void.class, Object.class, int.class));
            }
        }
    };

    /** Whether clients read throttle_time_ms of (api, version) and throttle themselves (KIP-219). */
    private static final ConcurrentHashMap<Integer, Boolean> CLIENT_THROTTLES = new ConcurrentHashMap<>();

    /**
     * Sets the response's {@code throttle_time_ms}. The generated response classes share no
     * interface for it, so the setter is looked up once per class; a response without the field
     * is left as it is.
     */
    public static void setThrottleTime(ApiMessage response, int throttleMs) {
        try {
            THROTTLE_SETTERS.get(response.getClass()).invokeExact((Object) response, throttleMs);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot set the throttle time of " + response.getClass(), e);
        }
    }

    /**
     * Whether a client sending {@code request}'s version throttles itself after a response that says
     * so (KIP-219: Produce v6, Fetch v8 and the like on): then the broker sends the response at once
     * and mutes the connection; for older versions it holds the response back instead. Asked of
     * kafka-clients' response classes, once per API and version.
     */
    public static boolean clientThrottles(Request request, ApiMessage response) {
        ApiKeys key = request.apiKey();
        short version = request.version();
        return CLIENT_THROTTLES.computeIfAbsent(key.id << 16 | version, k -> {
            try {
                ApiMessage empty = response.getClass().getDeclaredConstructor().newInstance();
                ObjectSerializationCache cache = new ObjectSerializationCache();
                ByteBuffer buffer = ByteBuffer.allocate(empty.size(cache, version));
                empty.write(new ByteBufferAccessor(buffer), cache, version);
                buffer.flip();
                return AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), version)
                        .shouldClientThrottle(version);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return true;
            }
        });
    }

    /** The record bytes of a fetch response, what a consumer byte rate counts; 0 for any other response. */
    public static long fetchedBytes(ApiMessage response) {
        if (!(response instanceof FetchResponseData fetch)) {
            return 0;
        }
        long bytes = 0;
        for (FetchResponseData.FetchableTopicResponse topic : fetch.responses()) {
            for (FetchResponseData.PartitionData partition : topic.partitions()) {
                if (partition.records() != null) {
                    bytes += partition.records().sizeInBytes();
                }
            }
        }
        return bytes;
    }
}
