#!/usr/bin/python3
"""The client matrix's driver for librdkafka through confluent-kafka-python (see ../README.md).

Usage: driver.py <bootstrap servers> <name prefix>
"""
import os
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka import libversion, version
from confluent_kafka.admin import AdminClient, NewTopic

RECORDS = 300
DEADLINE = 30.0
# The most one scenario may take, its waits (at most 2 x 60 s for group-rebalance) included.
SCENARIO_LIMIT = 150

BOOTSTRAP, PREFIX = sys.argv[1], sys.argv[2]
CLIENT = "confluent-kafka-python-%s/librdkafka-%s" % (version()[0], libversion()[0])


def report(scenario, body):
    """Runs one scenario on a thread with a limit (a client call may block past the scenario's own waits)."""
    result = {}

    def run():
        try:
            result["outcome"] = body()
        except Exception as e:  # a scenario that raised is a failed scenario, the others still run
            result["outcome"] = (False, 0, 0, "exception %s: %s" % (type(e).__name__, e))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(SCENARIO_LIMIT)
    passed, produced, consumed, detail = result.get("outcome", (False, 0, 0, "did not finish within %d s" % SCENARIO_LIMIT))
    detail = " ".join(str(detail).split())[:400]
    print("MATRIX %s %s %s produced=%d consumed=%d %s"
          % (CLIENT, scenario, "PASS" if passed else "FAIL", produced, consumed, detail), flush=True)


def topic(scenario):
    return "%s.%s" % (PREFIX, scenario)


def values(name, start, end):
    return ["%s-%d" % (name, i) for i in range(start, end)]


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


def consumer(group, reset, **extra):
    conf = {"bootstrap.servers": BOOTSTRAP, "group.id": group, "auto.offset.reset": reset,
            "enable.auto.commit": False, "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000}
    conf.update(extra)
    return Consumer(conf)


def poll_into(c, read, done, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while not done() and time.monotonic() < end:
        msg = c.poll(0.2)
        if msg is not None and msg.error() is None:
            read.add(msg.value().decode())
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


def compare(vals, acked, read, what):
    expected = set(vals)
    missing = len(expected - read)
    unexpected = len(read - expected)
    return (acked == len(vals) and missing == 0 and unexpected == 0, acked, len(read),
            "%s: acknowledged %d/%d, missing %d, unexpected %d" % (what, acked, len(vals), missing, unexpected))


def produce_scenario(scenario, **config):
    def body():
        vals = values(scenario, 0, RECORDS)
        acked = produce(topic(scenario), vals, **config)
        return compare(vals, acked, read_all(topic(scenario), set(vals)), " ".join("%s=%s" % kv for kv in config.items()))
    return body


def consume_earliest():
    t = topic("consume-earliest")
    vals = values("consume-earliest", 0, RECORDS)
    acked = produce(t, vals, acks="all")
    read = set()
    c = consumer(PREFIX + ".earliest-group", "earliest")
    try:
        c.subscribe([t])
        poll_into(c, read, lambda: set(vals) <= read)
    finally:
        c.close()
    return compare(vals, acked, read, "group consumer, auto.offset.reset=earliest")


def consume_latest():
    t = topic("consume-latest")
    old = values("consume-latest-old", 0, 100)
    fresh = values("consume-latest", 0, RECORDS)
    acked = produce(t, old, acks="all")
    read = set()
    at_end = set()
    c = consumer(PREFIX + ".latest-group", "latest", **{"enable.partition.eof": True})
    try:
        c.subscribe([t])
        end = time.monotonic() + DEADLINE
        # librdkafka reports end-of-partition once it has fetched from the reset position: positioned.
        while len(at_end) < 3 and time.monotonic() < end:
            msg = c.poll(0.2)
            if msg is None:
                continue
            if msg.error() is None:
                read.add(msg.value().decode())
            elif msg.error().code() == KafkaError._PARTITION_EOF:
                at_end.add(msg.partition())
        if len(at_end) < 3:
            return False, acked, len(read), "positioned at the end of %s of 3 partitions after %ss" % (sorted(at_end), DEADLINE)
        acked += produce(t, fresh, acks="all")
        poll_into(c, read, lambda: set(fresh) <= read)
    finally:
        c.close()
    old_seen = len(read & set(old))
    new_seen = len(read & set(fresh))
    return (old_seen == 0 and new_seen == len(fresh) and len(read) == len(fresh), acked, len(read),
            "new records read %d/%d, old records read %d (want 0)" % (new_seen, len(fresh), old_seen))


def group_rebalance():
    t = topic("group-rebalance")
    group = PREFIX + ".rebalance-group"
    first, second = values("group-rebalance", 0, 600), values("group-rebalance", 600, 900)
    acked = produce(t, first, acks="all")
    read = set()
    members = [consumer(group, "earliest") for _ in range(3)]
    closed = []

    def poll_all():
        for m in members:
            msg = m.poll(0.05)
            if msg is not None and msg.error() is None:
                read.add(msg.value().decode())
                m.commit(message=msg, asynchronous=False)

    def shape():
        return "/".join(str(len(m.assignment())) for m in members)

    def owned():
        return {tp.partition for m in members for tp in m.assignment()}

    def run_until(done, seconds):
        end = time.monotonic() + seconds
        while not done() and time.monotonic() < end:
            poll_all()
        return done()

    try:
        for m in members:
            m.subscribe([t])
        ok1 = run_until(lambda: set(first) <= read and all(len(m.assignment()) == 2 for m in members)
                        and len(owned()) == 6, 60)
        shape1 = shape()
        if not ok1:
            return False, acked, len(read), "3 members: read %d/600, assignments %s" % (len(read), shape1)
        leaving = members.pop()
        leaving.close()  # LeaveGroup
        closed.append(leaving)
        acked += produce(t, second, acks="all")
        ok2 = run_until(lambda: set(second) <= read and len(owned()) == 6
                        and sum(len(m.assignment()) for m in members) == 6, 60)
        return (ok2 and read == set(first) | set(second), acked, len(read),
                "assignments %s then %s after one left" % (shape1, shape()))
    finally:
        for m in members:
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
        end = time.monotonic() + DEADLINE
        while min(per_partition.values()) < 60 and time.monotonic() < end:
            msg = c.poll(0.2)
            if msg is not None and msg.error() is None:
                consumed += 1
                per_partition[msg.partition()] += 1
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
    end = time.monotonic() + DEADLINE
    described = None
    leaders = False
    while not leaders and time.monotonic() < end:
        described = admin.list_topics(topic=name, timeout=10).topics.get(name)
        leaders = (described is not None and described.error is None and len(described.partitions) == 3
                   and all(p.leader >= 0 and len(p.replicas) == 3 for p in described.partitions.values()))
        if not leaders:
            time.sleep(0.2)
    listed = name in admin.list_topics(timeout=10).topics
    admin.delete_topics([name])[name].result(DEADLINE)
    end = time.monotonic() + DEADLINE
    gone = False
    while not gone and time.monotonic() < end:
        gone = name not in admin.list_topics(timeout=10).topics
        if not gone:
            time.sleep(0.2)
    return (leaders and listed and gone, 0, 0, "described %s partitions with leaders=%s, listed=%s, gone after delete=%s"
            % (len(described.partitions) if described else 0, leaders, listed, gone))


report("produce-acks0", produce_scenario("produce-acks0", acks="0"))
report("produce-acks1", produce_scenario("produce-acks1", acks="1"))
report("produce-acksall", produce_scenario("produce-acksall", acks="all"))
report("produce-idempotent", produce_scenario("produce-idempotent", acks="all", **{"enable.idempotence": True}))
for codec in ("gzip", "snappy", "lz4", "zstd"):
    report("produce-" + codec, produce_scenario("produce-" + codec, acks="all", **{"compression.type": codec}))
report("consume-earliest", consume_earliest)
report("consume-latest", consume_latest)
report("group-rebalance", group_rebalance)
report("commit-lag", commit_lag)
report("admin-topics", admin_topics)
sys.stdout.flush()
os._exit(0)  # a scenario stuck past its limit must not keep the driver alive
