#!/usr/bin/python3
"""The client matrix's driver for librdkafka through confluent-kafka-python (see ../README.md).

Usage: driver.py <bootstrap servers> <name prefix>
"""
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka import libversion, version
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import matrix_common as matrix  # noqa: E402
from matrix_common import BOOTSTRAP, DEADLINE, PREFIX, RECORDS, topic, values  # noqa: E402

CLIENT = "confluent-kafka-python-%s/librdkafka-%s" % (version()[0], libversion()[0])


def produce(t, vals, partition_of=None, **config):
    conf = {"bootstrap.servers": BOOTSTRAP, "linger.ms": 5, "message.timeout.ms": 30000}
    conf.update(config)
    producer = Producer(conf)
    acked = []
    errors = []

    def delivered(err, msg):
        if err is None:
            acked.append(msg.value())
        else:
            errors.append(str(err))

    for i, v in enumerate(vals):
        kwargs = {"key": "k-%d" % i, "value": v, "on_delivery": delivered}
        if partition_of is not None:
            kwargs["partition"] = partition_of(i)
        producer.produce(t, **kwargs)
        producer.poll(0)
    left = producer.flush(DEADLINE)
    if errors or left:
        print("produce to %s: %d not delivered, errors %s" % (t, left, errors[:3]), file=sys.stderr)
    return len(acked)


def produce_acked(t, vals):
    return produce(t, vals, acks="all")


def consumer(group, reset, **extra):
    conf = {"bootstrap.servers": BOOTSTRAP, "group.id": group, "auto.offset.reset": reset,
            "enable.auto.commit": False, "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000}
    conf.update(extra)
    return Consumer(conf)


def poll_into(c, read, done, deadline=DEADLINE):
    def poll():
        msg = c.poll(0.2)
        if msg is not None and msg.error() is None:
            read.add(msg.value().decode())

    matrix.until(done, deadline, poll)
    for msg in c.consume(100, 0.5):
        if msg.error() is None:
            read.add(msg.value().decode())


def read_all(t, expected):
    read = set()
    c = consumer(PREFIX + ".reader", "earliest")
    try:
        c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for p in range(3)])
        poll_into(c, read, lambda: expected <= read)
    finally:
        c.close()
    return read


class Reader:
    """A new member of a group for consume-earliest and consume-latest (see matrix_common.consume_latest)."""

    def __init__(self, t, group, read, reset, **extra):
        self.topic, self.read = t, read
        self.consumer = consumer(group, reset, **extra)
        self.note = ""

    def start(self):
        self.consumer.subscribe([self.topic])

    def position(self):
        # librdkafka reports end-of-partition once it has fetched from the reset position: positioned.
        at_end = set()

        def poll():
            msg = self.consumer.poll(0.2)
            if msg is None:
                return
            if msg.error() is None:
                self.read.add(msg.value().decode())
            elif msg.error().code() == KafkaError._PARTITION_EOF:
                at_end.add(msg.partition())

        if not matrix.until(lambda: len(at_end) >= 3, DEADLINE, poll):
            return "positioned at the end of %s of 3 partitions after %ss" % (sorted(at_end), DEADLINE)
        return None

    def read_until(self, done):
        poll_into(self.consumer, self.read, done)

    def close(self):
        self.consumer.close()


class Group(matrix.Group):
    """group-rebalance's members, polled in turn (committing what they read) on the scenario's thread."""

    def __init__(self, t, group):
        super().__init__()
        self.topic = t
        self.members = [consumer(group, "earliest") for _ in range(3)]

    def start(self):
        for m in self.members:
            m.subscribe([self.topic])

    def poll_all(self):
        for m in self.members:
            msg = m.poll(0.05)
            if msg is not None and msg.error() is None:
                self.read.add(msg.value().decode())
                m.commit(message=msg, asynchronous=False)

    def assignments(self):
        return [{tp.partition for tp in m.assignment()} for m in self.members]

    def wait_until(self, done, seconds):
        return matrix.until(done, seconds, self.poll_all)

    def leave(self):
        self.members.pop().close()  # LeaveGroup

    def close(self):
        for m in self.members:
            m.close()


def commit_lag():
    t = topic("commit-lag")
    group = PREFIX + ".lag-group"
    vals = values("commit-lag", 0, RECORDS)
    acked = produce(t, vals, partition_of=lambda i: i % 3, acks="all")
    per_partition = {0: 0, 1: 0, 2: 0}
    consumed = 0
    c = consumer(group, "earliest")
    try:
        c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for p in range(3)])

        def poll():
            nonlocal consumed
            msg = c.poll(0.2)
            if msg is not None and msg.error() is None:
                consumed += 1
                per_partition[msg.partition()] += 1

        matrix.until(lambda: min(per_partition.values()) >= 60, DEADLINE, poll)
        c.commit(offsets=[TopicPartition(t, p, 60) for p in range(3)], asynchronous=False)
    finally:
        c.close()
    reader = consumer(group, "earliest")
    try:
        committed = {tp.partition: tp.offset for tp in reader.committed([TopicPartition(t, p) for p in range(3)], timeout=DEADLINE)}
        ends = {p: reader.get_watermark_offsets(TopicPartition(t, p), timeout=DEADLINE)[1] for p in range(3)}
    finally:
        reader.close()
    lag = sum(ends[p] - committed[p] for p in range(3))
    passed = acked == RECORDS and all(committed[p] == 60 and ends[p] == 100 for p in range(3)) and lag == 120
    return passed, acked, consumed, "lag %d (want 120): committed %s, end offsets %s" % (lag, committed, ends)


def admin_topics():
    name = PREFIX + ".admin"
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=3)])[name].result(DEADLINE)
    described = None

    def with_leaders():
        nonlocal described
        described = admin.list_topics(topic=name, timeout=10).topics.get(name)
        return (described is not None and described.error is None and len(described.partitions) == 3
                and all(p.leader >= 0 and len(p.replicas) == 3 for p in described.partitions.values()))

    leaders = matrix.retry(with_leaders)
    listed = name in admin.list_topics(timeout=10).topics
    admin.delete_topics([name])[name].result(DEADLINE)
    gone = matrix.retry(lambda: name not in admin.list_topics(timeout=10).topics)
    return (leaders and listed and gone, 0, 0, "described %s partitions with leaders=%s, listed=%s, gone after delete=%s"
            % (len(described.partitions) if described else 0, leaders, listed, gone))


def transactional_producer(transactional_id):
    return Producer({"bootstrap.servers": BOOTSTRAP, "transactional.id": transactional_id, "linger.ms": 5,
                     "message.timeout.ms": 30000, "transaction.timeout.ms": 60000})


def send(producer, t, vals, delivered, partition_of):
    for i, v in enumerate(vals):
        producer.produce(t, key="k-%d" % i, value=v, partition=partition_of(i), on_delivery=delivered)
        producer.poll(0)


def read_back(t, isolation, expected):
    """Every partition of t from the beginning with assign() and isolation.level=isolation, until
    expected is read and every partition reported its end (the last stable offset for
    read_committed): (records read, duplicates counted; the distinct values)."""
    records, read, at_end = [0], set(), set()
    c = consumer(PREFIX + ".reader", "earliest", **{"isolation.level": isolation, "enable.partition.eof": True})
    try:
        c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for p in range(3)])

        def poll():
            msg = c.poll(0.2)
            if msg is None:
                return
            if msg.error() is None:
                records[0] += 1
                read.add(msg.value().decode())
                at_end.discard(msg.partition())
            elif msg.error().code() == KafkaError._PARTITION_EOF:
                at_end.add(msg.partition())

        matrix.until(lambda: expected <= read and len(at_end) == 3, DEADLINE, poll)
        for msg in c.consume(100, 0.5):
            if msg.error() is None:
                records[0] += 1
                read.add(msg.value().decode())
    finally:
        c.close()
    return records[0], read


def transactions():
    """Commits a transaction of RECORDS records spread over the 3 partitions, writes 100 more in a
    second one (flushed: they are in the log) and aborts it; a read_committed consumer reads
    exactly the committed records, once each."""
    t = topic("transactions")
    committed, aborted = values("transactions", 0, RECORDS), values("transactions-aborted", 0, 100)
    acked, aborted_acked, errors = [], [], []
    producer = transactional_producer(PREFIX + ".txn")
    producer.init_transactions(60)
    producer.begin_transaction()
    send(producer, t, committed, lambda err, msg: acked.append(msg) if err is None else errors.append(str(err)),
         lambda i: i % 3)
    producer.flush(DEADLINE)
    producer.commit_transaction(60)
    producer.begin_transaction()
    send(producer, t, aborted, lambda err, msg: aborted_acked.append(msg) if err is None else errors.append(str(err)),
         lambda i: i % 3)
    producer.flush(DEADLINE)
    producer.abort_transaction(60)
    producer.flush(DEADLINE)
    records, read = read_back(t, "read_committed", set(committed))
    _, uncommitted = read_back(t, "read_uncommitted", set(committed) | set(aborted))
    missing = len(set(committed) - read)
    aborted_read = len(read & set(aborted))
    passed = (len(acked) == RECORDS and len(aborted_acked) == len(aborted) and missing == 0 and aborted_read == 0
              and records == RECORDS and len(read) == RECORDS)
    return passed, len(acked), len(read), (
        "committed %d/%d acknowledged, aborted %d/%d written then aborted%s; read_committed read %d records: missing %d, "
        "aborted %d (want 0), duplicates %d (want 0); read_uncommitted read %d distinct (the aborted ones too)"
        % (len(acked), RECORDS, len(aborted_acked), len(aborted), ", errors %s" % errors[:2] if errors else "", records,
           missing, aborted_read, records - len(read), len(uncommitted)))


def transactional_copy():
    """Consume-transform-produce: a group member (read_committed) copies the committed records of
    transactions to this scenario's topic, a transaction per batch, with its positions sent to the
    transaction (send_offsets_to_transaction); then a read_committed read of the copy has each
    record exactly once, and the group's committed offsets are the input's end offsets."""
    source, t = topic("transactions"), topic("transactional-copy")
    group = PREFIX + ".copy-group"
    expected = set(values("transactions", 0, RECORDS))
    c = consumer(group, "earliest", **{"isolation.level": "read_committed"})
    producer = transactional_producer(PREFIX + ".copy-txn")
    copied, transactions, sent, errors = 0, 0, {}, []
    try:
        ends = {p: c.get_watermark_offsets(TopicPartition(source, p), timeout=DEADLINE)[1] for p in range(3)}
        producer.init_transactions(60)
        c.subscribe([source])
        end = time.monotonic() + 60
        while time.monotonic() < end:
            msgs = [m for m in c.consume(500, 0.2) if m.error() is None]
            assignment = c.assignment()
            positions = {tp.partition: tp.offset for tp in c.position(assignment) if tp.offset >= 0} if assignment else {}
            if not msgs and positions == sent:
                if copied >= RECORDS and positions == ends:
                    break
                continue
            producer.begin_transaction()
            for m in msgs:
                producer.produce(t, key=m.key(), value=m.value(), partition=m.partition(),
                                 on_delivery=lambda err, msg: errors.append(str(err)) if err is not None else None)
            producer.send_offsets_to_transaction([TopicPartition(source, p, o) for p, o in positions.items()],
                                                 c.consumer_group_metadata(), DEADLINE)
            producer.flush(DEADLINE)
            producer.commit_transaction(60)
            copied += len(msgs)
            transactions += 1
            sent = positions
    finally:
        c.close()
    records, read = read_back(t, "read_committed", expected)
    reader = consumer(group, "earliest")
    committed = {}
    try:
        def offsets_at_end():
            committed.update({tp.partition: tp.offset for tp in
                              reader.committed([TopicPartition(source, p) for p in range(3)], timeout=DEADLINE)})
            return committed == ends

        # The offsets become the group's once the commit markers are written: wait for them.
        at_end = matrix.retry(offsets_at_end)
    finally:
        reader.close()
    missing, unexpected = len(expected - read), len(read - expected)
    passed = copied == RECORDS and missing == 0 and unexpected == 0 and records == RECORDS and at_end and not errors
    return passed, copied, len(read), (
        "copied %d in %d transactions%s; read_committed read of the copy: %d records, missing %d, unexpected %d, "
        "duplicates %d; group offsets at the input's end %s: committed %s, end offsets %s"
        % (copied, transactions, ", errors %s" % errors[:2] if errors else "", records, missing, unexpected,
           records - len(read), at_end, committed, ends))


produce_scenario = matrix.keyword_produce_scenarios(produce, read_all)
matrix.run(CLIENT, [
    produce_scenario("produce-acks0", acks="0"),
    produce_scenario("produce-acks1", acks="1"),
    produce_scenario("produce-acksall", acks="all"),
    produce_scenario("produce-idempotent", acks="all", **{"enable.idempotence": True}),
] + [produce_scenario("produce-" + codec, acks="all", **{"compression.type": codec}) for codec in matrix.CODECS] + [
    matrix.consume_earliest(produce_acked, lambda t, group, read: Reader(t, group, read, "earliest"),
                            "group consumer, auto.offset.reset=earliest"),
    matrix.consume_latest(produce_acked, lambda t, group, read: Reader(t, group, read, "latest",
                                                                       **{"enable.partition.eof": True})),
    matrix.group_rebalance(produce_acked, Group),
    ("commit-lag", commit_lag),
    ("admin-topics", admin_topics),
    ("transactions", transactions),
    ("transactional-copy", transactional_copy),
])
