#!/usr/bin/python3
"""The client matrix's driver for kafka-python (see ../README.md). kafka-python 2.0.2 has no
idempotent producer, so it does not run produce-idempotent. Its codecs need python3-snappy,
python3-lz4 and python3-zstandard.

Usage: driver.py <bootstrap servers> <name prefix>
"""
import logging
import os
import sys
import threading
import time

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import matrix_common as matrix  # noqa: E402
from matrix_common import DEADLINE, PREFIX, RECORDS, topic, values  # noqa: E402

BOOTSTRAP = matrix.BOOTSTRAP.split(",")
CLIENT = "kafka-python-%s" % kafka.__version__
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


def produce(t, vals, partition_of=None, **config):
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, linger_ms=5, request_timeout_ms=15000, **config)
    try:
        futures = []
        for i, v in enumerate(vals):
            futures.append(producer.send(t, key=("k-%d" % i).encode(), value=v.encode(),
                                         partition=partition_of(i) if partition_of else None))
        producer.flush(DEADLINE)
        acked = 0
        for f in futures:
            try:
                f.get(timeout=DEADLINE)
                acked += 1
            except Exception as e:
                print("produce to %s: %s" % (t, e), file=sys.stderr)
        return acked
    finally:
        producer.close(10)


def produce_acked(t, vals):
    return produce(t, vals, acks="all")


def consumer(group, reset):
    return KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=group, auto_offset_reset=reset,
                         enable_auto_commit=False, session_timeout_ms=10000, heartbeat_interval_ms=1000,
                         request_timeout_ms=15000)


def poll_once(c, read, timeout_ms=200):
    for records in c.poll(timeout_ms=timeout_ms).values():
        read.update(r.value.decode() for r in records)


def poll_into(c, read, done, deadline=DEADLINE):
    matrix.until(done, deadline, lambda: poll_once(c, read))
    poll_once(c, read, 500)


def read_all(t, expected):
    read = set()
    c = consumer(PREFIX + ".reader", "earliest")
    try:
        partitions = [TopicPartition(t, p) for p in range(3)]
        c.assign(partitions)
        c.seek_to_beginning(*partitions)
        poll_into(c, read, lambda: expected <= read)
    finally:
        c.close()
    return read


class Reader:
    """A new member of a group for consume-earliest and consume-latest (see matrix_common.consume_latest)."""

    def __init__(self, t, group, read, reset):
        self.topic, self.read = t, read
        self.consumer = consumer(group, reset)
        self.note = ""

    def start(self):
        self.consumer.subscribe([self.topic])

    def position(self):
        c = self.consumer
        if not matrix.until(lambda: len(c.assignment()) >= 3, DEADLINE, lambda: poll_once(c, self.read)):
            return "assignment %s after %ss" % (c.assignment(), DEADLINE)
        positions = sum(c.position(tp) for tp in c.assignment())  # the reset to the end (ListOffsets latest)
        self.note = "positions at start %d, " % positions
        return None

    def read_until(self, done):
        poll_into(self.consumer, self.read, done)

    def close(self):
        self.consumer.close()


class Member(threading.Thread):
    """One group member polling on its own thread (kafka-python joins a group inside poll)."""

    def __init__(self, group, t, read, lock):
        super().__init__(daemon=True)
        self.consumer = consumer(group, "earliest")
        self.topic, self.read, self.lock = t, read, lock
        self.running = True
        self.assigned = set()
        self.error = None

    def run(self):
        try:
            self.consumer.subscribe([self.topic])
            while self.running:
                batch = self.consumer.poll(timeout_ms=200)
                with self.lock:
                    for records in batch.values():
                        self.read.update(r.value.decode() for r in records)
                self.assigned = set(self.consumer.assignment())
                if batch:
                    self.consumer.commit()
        except Exception as e:
            self.error = "%s: %s" % (type(e).__name__, e)
        finally:
            self.assigned = set()
            self.consumer.close()  # LeaveGroup

    def stop(self):
        self.running = False
        self.join(30)


class Group(matrix.Group):
    """group-rebalance's members, each a Member thread."""

    def __init__(self, t, group):
        super().__init__()
        self.lock = threading.Lock()
        self.members = [Member(group, t, self.read, self.lock) for _ in range(3)]

    def start(self):
        for m in self.members:
            m.start()

    def received(self):
        with self.lock:
            return set(self.read)

    def assignments(self):
        return [{tp.partition for tp in m.assigned} for m in self.members]

    def wait_until(self, done, seconds):
        return matrix.until(done, seconds, lambda: time.sleep(0.2))

    def leave(self):
        self.members.pop().stop()

    def errors(self):
        return [m.error for m in self.members if m.error]

    def close(self):
        for m in self.members:
            m.stop()


def commit_lag():
    t = topic("commit-lag")
    group = PREFIX + ".lag-group"
    acked = produce(t, values("commit-lag", 0, RECORDS), partition_of=lambda i: i % 3, acks="all")
    partitions = [TopicPartition(t, p) for p in range(3)]
    per_partition = {0: 0, 1: 0, 2: 0}
    consumed = 0
    c = consumer(group, "earliest")
    try:
        c.assign(partitions)
        c.seek_to_beginning(*partitions)

        def poll():
            nonlocal consumed
            for tp, records in list(c.poll(timeout_ms=200).items()):
                consumed += len(records)
                per_partition[tp.partition] += len(records)

        matrix.until(lambda: min(per_partition.values()) >= 60, DEADLINE, poll)
        c.commit({tp: OffsetAndMetadata(60, "") for tp in partitions})
    finally:
        c.close()
    reader = consumer(group, "earliest")
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    try:
        committed = {tp.partition: reader.committed(tp) for tp in partitions}
        ends = {tp.partition: o for tp, o in reader.end_offsets(partitions).items()}
        by_admin = {tp.partition: om.offset for tp, om in admin.list_consumer_group_offsets(group).items()}
    finally:
        reader.close()
        admin.close()
    lag = sum(ends[p] - (committed[p] or 0) for p in range(3))
    passed = (acked == RECORDS and lag == 120
              and all(committed[p] == 60 and by_admin.get(p) == 60 and ends[p] == 100 for p in range(3)))
    return passed, acked, consumed, "lag %d (want 120): committed %s, admin %s, end offsets %s" % (lag, committed, by_admin, ends)


def admin_topics():
    name = PREFIX + ".admin"
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, request_timeout_ms=30000)
    try:
        created = admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=3)])
        errors = [e for e in created.topic_errors if e[1] != 0]
        if errors:
            return False, 0, 0, "create_topics answered %s" % errors

        def with_leaders():
            described = admin.describe_topics([name])
            parts = described[0]["partitions"] if described and described[0]["error_code"] == 0 else []
            return len(parts) == 3 and all(p["leader"] >= 0 and len(p["replicas"]) == 3 for p in parts)

        leaders = matrix.retry(with_leaders)
        listed = name in admin.list_topics()
        deleted = admin.delete_topics([name])
        delete_errors = [e for e in deleted.topic_error_codes if e[1] != 0]
        gone = matrix.retry(lambda: name not in admin.list_topics())
        return (leaders and listed and gone and not delete_errors, 0, 0,
                "described with leaders=%s, listed=%s, delete errors %s, gone after delete=%s"
                % (leaders, listed, delete_errors, gone))
    finally:
        admin.close()


produce_scenario = matrix.keyword_produce_scenarios(produce, read_all)
matrix.run(CLIENT, [
    produce_scenario("produce-acks0", acks=0),
    produce_scenario("produce-acks1", acks=1),
    produce_scenario("produce-acksall", acks="all"),
] + [produce_scenario("produce-" + codec, acks="all", compression_type=codec) for codec in matrix.CODECS] + [
    matrix.consume_earliest(produce_acked, lambda t, group, read: Reader(t, group, read, "earliest"),
                            "group consumer, auto_offset_reset=earliest"),
    matrix.consume_latest(produce_acked, lambda t, group, read: Reader(t, group, read, "latest")),
    matrix.group_rebalance(produce_acked, Group),
    ("commit-lag", commit_lag),
    ("admin-topics", admin_topics),
])
