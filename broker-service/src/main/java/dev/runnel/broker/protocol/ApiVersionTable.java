package dev.runnel.broker.protocol;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * The Kafka APIs and version ranges this broker serves: a fixed table in our code, never the
 * library's latest versions, so upgrading kafka-clients cannot advertise semantics we have not
 * built. An API joins the table with its handler.
 */
public final class ApiVersionTable {

    /** A served version range, inclusive. */
    public record Range(short min, short max) {

        public boolean contains(short version) {
            return version >= min && version <= max;
        }
    }

    private static final Map<ApiKeys, Range> SERVED;

    static {
        Map<ApiKeys, Range> served = new EnumMap<>(ApiKeys.class);
        served.put(ApiKeys.PRODUCE, new Range((short) 3, (short) 13));
        served.put(ApiKeys.FETCH, new Range((short) 4, (short) 17));
        served.put(ApiKeys.LIST_OFFSETS, new Range((short) 1, (short) 9));
        served.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, new Range((short) 3, (short) 4));
        served.put(ApiKeys.DELETE_RECORDS, new Range((short) 0, (short) 2));
        served.put(ApiKeys.API_VERSIONS, new Range((short) 0, (short) 4));
        served.put(ApiKeys.METADATA, new Range((short) 1, (short) 13));
        served.put(ApiKeys.DESCRIBE_CLUSTER, new Range((short) 0, (short) 2));
        served.put(ApiKeys.CREATE_TOPICS, new Range((short) 2, (short) 7));
        served.put(ApiKeys.DELETE_TOPICS, new Range((short) 1, (short) 6));
        served.put(ApiKeys.CREATE_PARTITIONS, new Range((short) 0, (short) 3));
        served.put(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, new Range((short) 0, (short) 1));
        served.put(ApiKeys.DESCRIBE_LOG_DIRS, new Range((short) 1, (short) 4));
        served.put(ApiKeys.ALTER_REPLICA_LOG_DIRS, new Range((short) 1, (short) 2));
        served.put(ApiKeys.LIST_PARTITION_REASSIGNMENTS, new Range((short) 0, (short) 0));
        served.put(ApiKeys.ELECT_LEADERS, new Range((short) 0, (short) 2));
        served.put(ApiKeys.INIT_PRODUCER_ID, new Range((short) 0, (short) 5));
        served.put(ApiKeys.DESCRIBE_CONFIGS, new Range((short) 1, (short) 4));
        served.put(ApiKeys.DESCRIBE_CLIENT_QUOTAS, new Range((short) 0, (short) 1));
        served.put(ApiKeys.ALTER_CLIENT_QUOTAS, new Range((short) 0, (short) 1));
        served.put(ApiKeys.ALTER_CONFIGS, new Range((short) 0, (short) 2));
        served.put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, new Range((short) 0, (short) 1));
        served.put(ApiKeys.FIND_COORDINATOR, new Range((short) 0, (short) 6));
        served.put(ApiKeys.JOIN_GROUP, new Range((short) 0, (short) 9));
        served.put(ApiKeys.SYNC_GROUP, new Range((short) 0, (short) 5));
        served.put(ApiKeys.HEARTBEAT, new Range((short) 0, (short) 4));
        served.put(ApiKeys.LEAVE_GROUP, new Range((short) 0, (short) 5));
        served.put(ApiKeys.OFFSET_COMMIT, new Range((short) 2, (short) 9));
        served.put(ApiKeys.OFFSET_FETCH, new Range((short) 1, (short) 9));
        served.put(ApiKeys.LIST_GROUPS, new Range((short) 0, (short) 5));
        served.put(ApiKeys.DESCRIBE_GROUPS, new Range((short) 0, (short) 6));
        served.put(ApiKeys.DELETE_GROUPS, new Range((short) 0, (short) 2));
        served.put(ApiKeys.OFFSET_DELETE, new Range((short) 0, (short) 0));
        served.put(ApiKeys.CONSUMER_GROUP_HEARTBEAT, new Range((short) 0, (short) 1));
        served.put(ApiKeys.CONSUMER_GROUP_DESCRIBE, new Range((short) 0, (short) 1));
        // Share groups (KIP-932): the group coordinator's APIs; ShareFetch and ShareAcknowledge join with their handlers.
        served.put(ApiKeys.SHARE_GROUP_HEARTBEAT, new Range((short) 1, (short) 1));
        served.put(ApiKeys.SHARE_GROUP_DESCRIBE, new Range((short) 1, (short) 1));
        served.put(ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, new Range((short) 0, (short) 1));
        served.put(ApiKeys.ALTER_SHARE_GROUP_OFFSETS, new Range((short) 0, (short) 0));
        served.put(ApiKeys.DELETE_SHARE_GROUP_OFFSETS, new Range((short) 0, (short) 0));
        served.put(ApiKeys.SASL_HANDSHAKE, new Range((short) 0, (short) 1));
        served.put(ApiKeys.SASL_AUTHENTICATE, new Range((short) 0, (short) 2));
        served.put(ApiKeys.CREATE_ACLS, new Range((short) 1, (short) 3));
        served.put(ApiKeys.DESCRIBE_ACLS, new Range((short) 1, (short) 3));
        served.put(ApiKeys.DELETE_ACLS, new Range((short) 1, (short) 3));
        served.put(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, new Range((short) 0, (short) 0));
        served.put(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, new Range((short) 0, (short) 0));
        // Transactions at transaction.version 1 (no KIP-890 part 2): EndTxn v5 and TxnOffsetCommit v5 are TV2's.
        served.put(ApiKeys.ADD_PARTITIONS_TO_TXN, new Range((short) 0, (short) 5));
        served.put(ApiKeys.ADD_OFFSETS_TO_TXN, new Range((short) 0, (short) 4));
        served.put(ApiKeys.END_TXN, new Range((short) 0, (short) 4));
        served.put(ApiKeys.WRITE_TXN_MARKERS, new Range((short) 1, (short) 1));
        served.put(ApiKeys.DESCRIBE_PRODUCERS, new Range((short) 0, (short) 0));
        served.put(ApiKeys.DESCRIBE_TRANSACTIONS, new Range((short) 0, (short) 0));
        served.put(ApiKeys.LIST_TRANSACTIONS, new Range((short) 0, (short) 1));
        served.put(ApiKeys.TXN_OFFSET_COMMIT, new Range((short) 0, (short) 4));
        // The share coordinator's inter-broker APIs (KIP-932); v1 of Write and Summary carry the delivery complete count.
        served.put(ApiKeys.INITIALIZE_SHARE_GROUP_STATE, new Range((short) 0, (short) 0));
        served.put(ApiKeys.READ_SHARE_GROUP_STATE, new Range((short) 0, (short) 0));
        served.put(ApiKeys.WRITE_SHARE_GROUP_STATE, new Range((short) 0, (short) 1));
        served.put(ApiKeys.DELETE_SHARE_GROUP_STATE, new Range((short) 0, (short) 0));
        served.put(ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY, new Range((short) 0, (short) 1));
        // Share groups (KIP-932): v1 is the first version Kafka 4.1+ clients send; v2 adds record-limit and Renew.
        served.put(ApiKeys.SHARE_FETCH, new Range((short) 1, (short) 2));
        served.put(ApiKeys.SHARE_ACKNOWLEDGE, new Range((short) 1, (short) 2));
        SERVED = Collections.unmodifiableMap(served);
    }

    private ApiVersionTable() {
    }

    public static Map<ApiKeys, Range> served() {
        return SERVED;
    }

    public static boolean serves(ApiKeys key, short version) {
        Range range = SERVED.get(key);
        return range != null && range.contains(version);
    }

    /** The table as an ApiVersions response lists it. */
    public static ApiVersionsResponseData.ApiVersionCollection asResponse() {
        ApiVersionsResponseData.ApiVersionCollection collection = new ApiVersionsResponseData.ApiVersionCollection();
        SERVED.forEach((key, range) -> collection.add(new ApiVersionsResponseData.ApiVersion()
                .setApiKey(key.id).setMinVersion(range.min()).setMaxVersion(range.max())));
        return collection;
    }
}
