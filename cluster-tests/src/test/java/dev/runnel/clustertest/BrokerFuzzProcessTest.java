package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.runnel.broker.protocol.ApiVersionTable;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;

/**
 * Hostile input against a real broker process started as the images start it: a 512 MiB heap
 * and {@code -XX:+ExitOnOutOfMemoryError}, so one allocation sized by a client's claim would end
 * the process. Record-count bombs, ten maximum-size frames at once and mutated requests of every
 * advertised (API, version) pair; after each, the broker still serves and the records written
 * before are all there, unchanged. {@code -Drunnel.fuzz.mutants=N} sets the mutated copies per
 * pair (default 6).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrokerFuzzProcessTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final String DATA = "fuzz-data";
    private static final String TARGET = "fuzz-target";
    private static final int RECORDS = 1000;
    /** The broker's default socket.request.max.bytes: the largest frame it accepts. */
    private static final int MAX_FRAME = 100 * 1024 * 1024;
    private static final int MUTANTS = Integer.getInteger("runnel.fuzz.mutants", 6);

    private static ProcessCluster cluster;
    private static int port;

    @BeforeAll
    static void startBroker() throws Exception {
        cluster = new ProcessCluster("fuzz");
        try {
            cluster.startController(1);
            cluster.startBroker(1, List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"),
                    "--runnel.broker.offsets-topic.replication-factor=1", "--runnel.broker.offsets-topic.partitions=3",
                    "--runnel.broker.group.initial-rebalance-delay=0s");
            port = cluster.kafkaPort(1);
            try (Admin admin = KafkaClients.admin(cluster.bootstrap())) {
                await("the broker in the metadata").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions().until(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS)
                                .size() == 1);
                admin.createTopics(List.of(new NewTopic(DATA, 1, (short) 1), new NewTopic(TARGET, 1, (short) 1)))
                        .all().get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(cluster.bootstrap(), Map.of())) {
                for (int i = 0; i < RECORDS; i++) {
                    producer.send(new ProducerRecord<>(DATA, 0, KafkaClients.bytes("k" + i), KafkaClients.bytes("v" + i)));
                }
                producer.flush();
            }
            assertServesAndKeepsItsData();
        } catch (Exception | AssertionError e) {
            stopBroker();
            throw e;
        }
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    @Order(1)
    @ParameterizedTest
    @EnumSource(value = RecordCodec.class, names = {"NONE", "GZIP", "LZ4", "ZSTD"})
    void aBatchClaimingTwoBillionRecordsIsRefusedWithInvalidRecord(RecordCodec codec) throws Exception {
        ByteBuffer batch = KafkaRecordBatches.batch(codec, KafkaRecordBatches.ProducerInfo.NONE,
                List.of(new KafkaRecordBatches.SimpleRecord(System.currentTimeMillis(), null, KafkaClients.bytes("x"))));
        batch.putInt(57, Integer.MAX_VALUE); // record count
        batch.putInt(23, Integer.MAX_VALUE - 1); // last offset delta, consistent with the count
        recomputeCrc(batch);
        System.out.printf("Record-count bomb: a %s produce request of %d bytes claiming %d records%n", codec,
                batch.remaining(), Integer.MAX_VALUE);

        ProduceResponse response = (ProduceResponse) KafkaWireClient.send(port, ApiKeys.PRODUCE, (short) 9,
                produce(batch));

        short error = response.data().responses().iterator().next().partitionResponses().get(0).errorCode();
        assertThat(Errors.forCode(error)).isEqualTo(Errors.INVALID_RECORD);
        assertServesAndKeepsItsData();
    }

    @Order(2)
    @Test
    void tenMaximumSizeFramesAtOnceQueueForMemoryAndAreAllAnswered() throws Exception {
        long rssBefore = rssKib();
        ExecutorService senders = Executors.newFixedThreadPool(10);
        try {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int correlationId = 7000 + i;
                answers.add(senders.submit(() -> sendMaximumSizeMetadataRequest(correlationId)));
            }
            for (int i = 0; i < answers.size(); i++) {
                assertThat(answers.get(i).get(5, TimeUnit.MINUTES)).as("correlation id of answer %d", i)
                        .isEqualTo(7000 + i);
            }
        } finally {
            senders.shutdownNow();
        }
        long rssAfter = rssKib();
        System.out.printf("Ten %d-byte frames at once against -Xmx512m: all answered; broker RSS %d MiB before, %d MiB"
                + " after%n", MAX_FRAME, rssBefore / 1024, rssAfter / 1024);
        assertServesAndKeepsItsData();
    }

    @Order(3)
    @Test
    void mutatedRequestsOfEveryAdvertisedApiLeaveTheBrokerServingWithItsData() throws Exception {
        Uuid targetId;
        try (Admin admin = KafkaClients.admin(cluster.bootstrap())) {
            targetId = admin.describeTopics(List.of(TARGET)).allTopicNames().get(30, TimeUnit.SECONDS).get(TARGET)
                    .topicId();
        }
        ConformanceRequests requests = new ConformanceRequests(
                new ConformanceRequests.Target(TARGET, targetId, "fuzz-group"), true);
        long seed = Long.getLong("runnel.fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
        int sent = 0;
        Socket socket = null;
        try {
            for (Map.Entry<ApiKeys, ApiVersionTable.Range> served : ApiVersionTable.served().entrySet()) {
                for (short v = served.getValue().min(); v <= served.getValue().max(); v++) {
                    ByteBuffer base = requests.frame(served.getKey(), v, 1);
                    for (int m = 0; m < MUTANTS; m++) {
                        if (socket == null || socket.isClosed()) {
                            socket = connect(Duration.ofMillis(500));
                        }
                        Outcome outcome = exchange(socket, mutate(base, random));
                        outcomes.merge(outcome, 1, Integer::sum);
                        sent++;
                        if (outcome != Outcome.ANSWERED) {
                            socket.close();
                        }
                    }
                }
            }
        } finally {
            if (socket != null) {
                socket.close();
            }
        }
        System.out.printf("Fuzz: %d mutated requests (%d per advertised pair, seed %d): %s%n", sent, MUTANTS, seed,
                outcomes);
        assertServesAndKeepsItsData();
    }

    /** What became of one mutated request. */
    enum Outcome {
        /** An answer came (whatever it says). */
        ANSWERED,
        /** The broker closed the connection: bad framing. */
        CLOSED,
        /** No answer within the wait (acks=0, a long fetch or join wait, or a frame still incomplete). */
        NO_ANSWER
    }

    private static Outcome exchange(Socket socket, ByteBuffer frame) throws IOException {
        try {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(frame.remaining());
            out.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int size = in.readInt();
            in.readFully(new byte[size]);
            return Outcome.ANSWERED;
        } catch (SocketTimeoutException e) {
            return Outcome.NO_ANSWER;
        } catch (IOException e) {
            return Outcome.CLOSED;
        }
    }

    /**
     * One of: flipped bytes, a cut, an int32 made huge or negative, an int16 made huge (string
     * and array lengths, counts), or a varint of 2^31-1 spliced in (compact lengths).
     */
    private static ByteBuffer mutate(ByteBuffer base, Random random) {
        byte[] bytes = new byte[base.remaining()];
        base.duplicate().get(bytes);
        // Keep api key and version most of the time: they choose the parser under test.
        int from = random.nextInt(4) == 0 ? 0 : Math.min(4, bytes.length);
        int span = Math.max(1, bytes.length - from);
        switch (random.nextInt(5)) {
            case 0 -> {
                for (int i = 1 + random.nextInt(4); i > 0; i--) {
                    bytes[from + random.nextInt(span)] ^= (byte) (1 + random.nextInt(255));
                }
                return ByteBuffer.wrap(bytes);
            }
            case 1 -> {
                return ByteBuffer.wrap(bytes, 0, from + random.nextInt(span));
            }
            case 2 -> {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                int at = from + random.nextInt(Math.max(1, span - 3));
                if (at + 4 <= bytes.length) {
                    b.putInt(at, random.nextBoolean() ? Integer.MAX_VALUE : -2);
                }
                return b;
            }
            case 3 -> {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                int at = from + random.nextInt(Math.max(1, span - 1));
                if (at + 2 <= bytes.length) {
                    b.putShort(at, Short.MAX_VALUE);
                }
                return b;
            }
            default -> {
                int at = from + random.nextInt(span);
                byte[] varint = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07};
                byte[] spliced = new byte[bytes.length + varint.length];
                System.arraycopy(bytes, 0, spliced, 0, at);
                System.arraycopy(varint, 0, spliced, at, varint.length);
                System.arraycopy(bytes, at, spliced, at + varint.length, bytes.length - at);
                return ByteBuffer.wrap(spliced);
            }
        }
    }

    /**
     * A Metadata v12 request for every topic, padded with zeros to the largest frame the broker
     * accepts (it reads the request and ignores what follows): the broker must hold all of it.
     */
    private static int sendMaximumSizeMetadataRequest(int correlationId) throws IOException {
        RequestHeader header = new RequestHeader(ApiKeys.METADATA, (short) 12, "fuzz", correlationId);
        ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(),
                new MetadataRequestData().setTopics(null), (short) 12);
        try (Socket socket = connect(Duration.ofMinutes(5))) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(MAX_FRAME);
            out.write(request.array(), request.arrayOffset() + request.position(), request.remaining());
            byte[] zeros = new byte[64 * 1024];
            for (long left = MAX_FRAME - request.remaining(); left > 0; left -= zeros.length) {
                out.write(zeros, 0, (int) Math.min(zeros.length, left));
            }
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] answer = new byte[in.readInt()];
            in.readFully(answer);
            return ByteBuffer.wrap(answer).getInt();
        }
    }

    private static Socket connect(Duration readTimeout) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout((int) readTimeout.toMillis());
        return socket;
    }

    private static ProduceRequestData produce(ByteBuffer batch) {
        ProduceRequestData.TopicProduceDataCollection topics = new ProduceRequestData.TopicProduceDataCollection();
        topics.add(new ProduceRequestData.TopicProduceData().setName(TARGET).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0)
                        .setRecords(MemoryRecords.readableRecords(batch)))));
        return new ProduceRequestData().setAcks((short) 1).setTimeoutMs(10_000).setTopicData(topics);
    }

    /** CRC-32C of a v2 batch from its attributes (offset 21) to its end, stored at offset 17. */
    private static void recomputeCrc(ByteBuffer batch) {
        CRC32C crc = new CRC32C();
        crc.update(batch.duplicate().position(21));
        batch.putInt(17, (int) crc.getValue());
    }

    /** The broker process lives, logged no OutOfMemoryError, and returns every record written at the start. */
    private static void assertServesAndKeepsItsData() throws IOException {
        NodeProcess broker = cluster.node("broker-1");
        assertThat(broker.isAlive()).as("broker process alive").isTrue();
        Path log = cluster.dir().resolve("broker-1.log");
        assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError");
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(cluster.bootstrap())) {
            TopicPartition partition = new TopicPartition(DATA, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
            await("every record written at the start").atMost(DEADLINE).until(() -> {
                read.addAll(KafkaClients.drain(consumer));
                return read.size() >= RECORDS;
            });
            assertThat(read).hasSize(RECORDS);
            for (int i = 0; i < RECORDS; i++) {
                assertThat(read.get(i).offset()).isEqualTo(i);
                assertThat(KafkaClients.text(read.get(i).value())).isEqualTo("v" + i);
            }
        }
    }

    private static long rssKib() throws IOException {
        long pid = cluster.node("broker-1").pid();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
