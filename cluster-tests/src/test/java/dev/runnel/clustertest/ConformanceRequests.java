package dev.runnel.clustertest;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.types.BoundField;
import org.apache.kafka.common.protocol.types.Field;
import org.apache.kafka.common.protocol.types.Schema;
import org.apache.kafka.common.protocol.types.Struct;
import org.apache.kafka.common.protocol.types.TaggedFields;
import org.apache.kafka.common.protocol.types.Type;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * Requests of every API and version made from kafka-clients' own schemas, not written by hand: a
 * new API or version in the broker's table is covered without a new test.
 *
 * <p>Every field the version has is given a value that is not its default (arrays get one
 * element, nullable fields a value, tagged fields are all present), so a request carries
 * everything a client of that version may send; fields the version lacks do not exist in its
 * schema and stay out. Where a generic value would only ever reach an error path (a topic that
 * does not exist, a replica id that makes the request a follower's), a hint gives the value a
 * real client would send, keyed by the field's path ({@code topics.partitions.partition_index}).
 */
final class ConformanceRequests {

    /** Names and ids of what the requests refer to. */
    record Target(String topic, Uuid topicId, String group) {
    }

    private static final Object NULL = new Object();

    private final Target target;
    private final boolean validateOnly;

    ConformanceRequests(Target target) {
        this(target, false);
    }

    /**
     * @param validateOnly whether requests that may validate only (CreateTopics, CreatePartitions,
     *                     AlterConfigs) ask for that: for mutated copies, whose changed counts
     *                     should not really make thousands of partitions
     */
    ConformanceRequests(Target target, boolean validateOnly) {
        this.target = target;
        this.validateOnly = validateOnly;
    }

    /** The topic a CreateTopics request of {@code version} creates. */
    static String createdTopic(short version) {
        return "conformance-create-v" + version;
    }

    /** The topic a DeleteTopics request of {@code version} deletes (made beforehand by the test). */
    static String deletedTopic(short version) {
        return "conformance-delete-v" + version;
    }

    /** The topic a CreatePartitions request of {@code version} grows from 1 to 2 partitions. */
    static String grownTopic(short version) {
        return "conformance-grow-v" + version;
    }

    /** The group a JoinGroup request of {@code version} joins alone. */
    static String joinedGroup(short version) {
        return "conformance-join-v" + version;
    }

    /** The request body of {@code key} at {@code version}, as a struct of its schema. */
    Struct body(ApiKeys key, short version) {
        Schema schema = key.messageType.requestSchemas()[version];
        return fill(key, version, schema, "");
    }

    /** Header and body, without the size prefix. */
    ByteBuffer frame(ApiKeys key, short version, int correlationId) {
        return frame(key, version, correlationId, body(key, version));
    }

    static ByteBuffer frame(ApiKeys key, short version, int correlationId, Struct body) {
        RequestHeader header = new RequestHeader(key, version, "conformance", correlationId);
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer buffer = ByteBuffer.allocate(header.data().size(cache, header.headerVersion()) + body.sizeOf());
        header.data().write(new ByteBufferAccessor(buffer), cache, header.headerVersion());
        body.writeTo(buffer);
        return buffer.flip();
    }

    private Struct fill(ApiKeys key, short version, Schema schema, String path) {
        Struct struct = new Struct(schema);
        for (BoundField field : schema.fields()) {
            String fieldPath = path.isEmpty() ? field.def.name : path + "." + field.def.name;
            Type type = field.def.type;
            if (type instanceof TaggedFields tagged) {
                Map<Integer, Object> values = new TreeMap<>();
                for (Map.Entry<Integer, Field> tag : tagged.fields().entrySet()) {
                    Object value = value(key, version, tag.getValue().type, path + "." + tag.getValue().name);
                    if (value != null) {
                        values.put(tag.getKey(), value);
                    }
                }
                struct.set(field, values);
            } else {
                struct.set(field, value(key, version, type, fieldPath));
            }
        }
        return struct;
    }

    private Object value(ApiKeys key, short version, Type type, String path) {
        Object hint = hint(key, version, path, type);
        if (hint == NULL && type.isNullable()) {
            return null;
        }
        if (hint == NULL) {
            hint = null; // a field that cannot be null gets the generic value
        }
        if (hint != null) {
            return hint;
        }
        if (type instanceof Schema schema) {
            return fill(key, version, schema, path);
        }
        if (type.isArray()) {
            Type element = type.arrayElementType().orElseThrow();
            return new Object[] {value(key, version, element, path)};
        }
        return generic(type);
    }

    private static Object generic(Type type) {
        if (type == Type.BOOLEAN) {
            return true;
        } else if (type == Type.INT8) {
            return (byte) 1;
        } else if (type == Type.INT16) {
            return (short) 1;
        } else if (type == Type.UINT16 || type == Type.INT32 || type == Type.VARINT) {
            return 1;
        } else if (type == Type.UNSIGNED_INT32 || type == Type.INT64 || type == Type.VARLONG) {
            return 1L;
        } else if (type == Type.FLOAT64) {
            return 1.0;
        } else if (type == Type.UUID) {
            return Uuid.randomUuid();
        } else if (type == Type.STRING || type == Type.COMPACT_STRING || type == Type.NULLABLE_STRING
                || type == Type.COMPACT_NULLABLE_STRING) {
            return "conformance";
        } else if (type == Type.BYTES || type == Type.COMPACT_BYTES || type == Type.NULLABLE_BYTES
                || type == Type.COMPACT_NULLABLE_BYTES) {
            return ByteBuffer.wrap(new byte[] {1});
        } else if (type == Type.RECORDS || type == Type.COMPACT_RECORDS || type == Type.NULLABLE_RECORDS
                || type == Type.COMPACT_NULLABLE_RECORDS) {
            return MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(System.currentTimeMillis(), "k".getBytes(), "conformance".getBytes()));
        }
        throw new IllegalArgumentException("no value for type " + type);
    }

    /**
     * The value a real client sends where the generic one would only test an error path; null for
     * the generic value, {@link #NULL} for a null.
     */
    private Object hint(ApiKeys key, short version, String path, Type type) {
        String leaf = normalise(path.substring(path.lastIndexOf('.') + 1));
        String parent = path.contains(".") ? normalise(path.substring(0, path.lastIndexOf('.'))) : "";
        boolean string = type == Type.STRING || type == Type.COMPACT_STRING || type == Type.NULLABLE_STRING
                || type == Type.COMPACT_NULLABLE_STRING;
        boolean stringArray = type.isArray() && type.arrayElementType().map(e -> !(e instanceof Schema)
                && (e == Type.STRING || e == Type.COMPACT_STRING)).orElse(false);
        // Topics: each API that creates, deletes or grows one gets its own.
        if (isTopicField(leaf, parent) && (string || stringArray)) {
            String topic = switch (key) {
                case CREATE_TOPICS -> createdTopic(version);
                case DELETE_TOPICS -> deletedTopic(version);
                case CREATE_PARTITIONS -> grownTopic(version);
                default -> target.topic();
            };
            return stringArray ? new Object[] {topic} : topic;
        }
        if (leaf.equals("topicid")) {
            return key == ApiKeys.FETCH || key == ApiKeys.PRODUCE ? target.topicId() : Uuid.ZERO_UUID;
        }
        if (leaf.equals("resourcename")) {
            return target.topic();
        }
        if (leaf.equals("resourcetype")) {
            return (byte) 2; // TOPIC
        }
        if (leaf.equals("configurationkeys")) {
            return new Object[] {"retention.ms"};
        }
        if (parent.endsWith("configs") && leaf.equals("name")) {
            return "retention.ms";
        }
        if (parent.endsWith("configs") && leaf.equals("value")) {
            return "86400000";
        }
        if (leaf.equals("configoperation")) {
            return (byte) 0; // SET
        }
        // Groups: JoinGroup of each version alone in its own group, everything else one shared group.
        if (leaf.equals("groupid") || leaf.equals("key") || leaf.equals("coordinatorkeys") || leaf.equals("groups")
                && stringArray || leaf.equals("groupsnames")) {
            String group = key == ApiKeys.JOIN_GROUP ? joinedGroup(version) : target.group();
            return type.isArray() ? new Object[] {group} : group;
        }
        if (leaf.equals("keytype")) {
            return (byte) 0; // a group
        }
        if (leaf.equals("statesfilter") || leaf.equals("typesfilter")) {
            return new Object[0];
        }
        if (leaf.equals("memberid")) {
            return "";
        }
        if (leaf.equals("groupinstanceid") || leaf.equals("transactionalid") || leaf.equals("clusterid")
                || leaf.equals("reason") && key != ApiKeys.LEAVE_GROUP) {
            return NULL;
        }
        if (leaf.equals("generationid") || leaf.equals("generationidormemberepoch") || leaf.equals("memberepoch")) {
            return -1;
        }
        if (leaf.equals("protocoltype")) {
            return "consumer";
        }
        if (leaf.equals("protocolname") || parent.endsWith("protocols") && leaf.equals("name")) {
            return "range";
        }
        if (parent.endsWith("protocols") && leaf.equals("metadata")) {
            return ConsumerProtocol.serializeSubscription(new ConsumerPartitionAssignor.Subscription(
                    List.of(target.topic())));
        }
        if (leaf.equals("sessiontimeoutms") || leaf.equals("rebalancetimeoutms")) {
            return 10_000;
        }
        // Partitions and offsets.
        if (leaf.equals("partitionindex") || leaf.equals("partition") || leaf.equals("index")
                && parent.endsWith("partitiondata")) {
            return 0;
        }
        if (leaf.equals("partitionindexes") || leaf.equals("partitions") && type.isArray()
                && !type.arrayElementType().map(e -> e instanceof Schema).orElse(false)) {
            return new Object[] {0};
        }
        if (leaf.equals("replicaid") || leaf.equals("brokerid") || leaf.equals("brokerepoch")
                || leaf.equals("producerid") || leaf.equals("logstartoffset") || leaf.equals("retentiontimems")) {
            return type == Type.INT64 ? (Object) (-1L) : (Object) (-1);
        }
        if (leaf.equals("producerepoch")) {
            return (short) -1;
        }
        if (leaf.equals("currentleaderepoch") || leaf.equals("lastfetchedepoch") || leaf.equals("committedleaderepoch")
                || leaf.equals("leaderepoch") && key != ApiKeys.OFFSET_FOR_LEADER_EPOCH) {
            return -1;
        }
        if (leaf.equals("leaderepoch")) {
            return 0;
        }
        if (leaf.equals("sessionid")) {
            return 0;
        }
        if (leaf.equals("sessionepoch")) {
            return -1;
        }
        if (leaf.equals("isolationlevel")) {
            return (byte) 0;
        }
        if (leaf.equals("rackid")) {
            return "";
        }
        if (leaf.equals("maxwaitms")) {
            return 10;
        }
        if (leaf.equals("maxbytes") || leaf.equals("partitionmaxbytes")) {
            return 1_048_576;
        }
        if (leaf.equals("fetchoffset") || leaf.equals("offset") && key == ApiKeys.DELETE_RECORDS) {
            return key == ApiKeys.DELETE_RECORDS ? 1L : 0L;
        }
        if (leaf.equals("timestamp") && key == ApiKeys.LIST_OFFSETS) {
            return -2L; // earliest
        }
        if (leaf.equals("committedmetadata")) {
            return "";
        }
        // Admin.
        if (leaf.equals("numpartitions") || leaf.equals("replicationfactor")) {
            return type == Type.INT16 ? (Object) (short) 1 : (Object) 1;
        }
        if (leaf.equals("assignments") && key == ApiKeys.CREATE_TOPICS) {
            return new Object[0];
        }
        if (leaf.equals("assignments") && key == ApiKeys.CREATE_PARTITIONS) {
            return NULL;
        }
        if (leaf.equals("count")) {
            return 2;
        }
        if (leaf.equals("validateonly")) {
            return validateOnly;
        }
        if (leaf.equals("allowautotopiccreation") || leaf.equals("requirestable")) {
            return false;
        }
        if (leaf.equals("timeoutms")) {
            return 10_000;
        }
        if (leaf.equals("transactiontimeoutms")) {
            return 60_000;
        }
        if (leaf.equals("endpointtype")) {
            return (byte) 1; // brokers
        }
        if (leaf.equals("clientsoftwarename")) {
            return "conformance";
        }
        if (leaf.equals("clientsoftwareversion")) {
            return "1.0";
        }
        return null;
    }

    private static boolean isTopicField(String leaf, String parent) {
        return leaf.equals("topic") || leaf.equals("topicname") || leaf.equals("topicnames")
                || leaf.equals("name") && (parent.endsWith("topics") || parent.endsWith("topicdata")
                        || parent.endsWith("topic"));
    }

    private static String normalise(String name) {
        return name.replace("_", "").toLowerCase(Locale.ROOT);
    }
}
