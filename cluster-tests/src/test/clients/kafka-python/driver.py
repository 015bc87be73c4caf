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

RECORDS = 300
DEADLINE = 30.0
# The most one scenario may take, its waits (at most 2 x 60 s for group-rebalance) included.
SCENARIO_LIMIT = 150

BOOTSTRAP, PREFIX = sys.argv[1].split(","), sys.argv[2]
CLIENT = "kafka-python-%s" % kafka.__version__
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


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


def consumer(group, reset):
    return KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=group, auto_offset_reset=reset,
                         enable_auto_commit=False, session_timeout_ms=10000, heartbeat_interval_ms=1000,
                         request_timeout_ms=15000)


def poll_into(c, read, done, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while not done() and time.monotonic() < end:
        for records in c.poll(timeout_ms=200).values():
            read.update(r.value.decode() for r in records)
    for records in c.poll(timeout_ms=500).values():
        read.update(r.value.decode() for r in records)


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
    return compare(vals, acked, read, "group consumer, auto_offset_reset=earliest")


def consume_latest():
    t = topic("consume-latest")
    old = values("consume-latest-old", 0, 100)
    fresh = values("consume-latest", 0, RECORDS)
    acked = produce(t, old, acks="all")
    read = set()
    c = consumer(PREFIX + ".latest-group", "latest")
    try:
        c.subscribe([t])
        end = time.monotonic() + DEADLINE
        while len(c.assignment()) < 3 and time.monotonic() < end:
            for records in c.poll(timeout_ms=200).values():
                read.update(r.value.decode() for r in records)
        if len(c.assignment()) < 3:
            return False, acked, len(read), "assignment %s after %ss" % (c.assignment(), DEADLINE)
        positions = sum(c.position(tp) for tp in c.assignment())  # the reset to the end (ListOffsets latest)
        acked += produce(t, fresh, acks="all")
        poll_into(c, read, lambda: set(fresh) <= read)
    finally:
        c.close()
    old_seen = len(read & set(old))
    new_seen = len(read & set(fresh))
    return (old_seen == 0 and new_seen == len(fresh) and len(read) == len(fresh), acked, len(read),
            "positions at start %d, new records read %d/%d, old records read %d (want 0)"
            % (positions, new_seen, len(fresh), old_seen))


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


def group_rebalance():
    t = topic("group-rebalance")
    group = PREFIX + ".rebalance-group"
    first, second = values("group-rebalance", 0, 600), values("group-rebalance", 600, 900)
    acked = produce(t, first, acks="all")
    read, lock = set(), threading.Lock()
    members = [Member(group, t, read, lock) for _ in range(3)]

    def snapshot():
        with lock:
            return set(read)

    def shape():
        return "/".join(str(len(m.assigned)) for m in members)

    def owned():
        return {tp.partition for m in members for tp in m.assigned}

    def wait_until(done, seconds):
        end = time.monotonic() + seconds
        while not done() and time.monotonic() < end:
            time.sleep(0.2)
        return done()

    try:
        for m in members:
            m.start()
        ok1 = wait_until(lambda: set(first) <= snapshot() and all(len(m.assigned) == 2 for m in members)
                         and len(owned()) == 6, 60)
        shape1 = shape()
        if not ok1:
            return False, acked, len(snapshot()), "3 members: read %d/600, assignments %s" % (len(snapshot()), shape1)
        members.pop().stop()
        acked += produce(t, second, acks="all")
        ok2 = wait_until(lambda: set(second) <= snapshot() and len(owned()) == 6
                         and sum(len(m.assigned) for m in members) == 6, 60)
        errors = [m.error for m in members if m.error]
        return (ok2 and snapshot() == set(first) | set(second) and not errors, acked, len(snapshot()),
                "assignments %s then %s after one left%s" % (shape1, shape(), ", member error %s" % errors[0] if errors else ""))
    finally:
        for m in members:
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
        end = time.monotonic() + DEADLINE
        while min(per_partition.values()) < 60 and time.monotonic() < end:
            for tp, records in list(c.poll(timeout_ms=200).items()):
                consumed += len(records)
                per_partition[tp.partition] += len(records)
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
        end = time.monotonic() + DEADLINE
        described, leaders = None, False
        while not leaders and time.monotonic() < end:
            described = admin.describe_topics([name])
            parts = described[0]["partitions"] if described and described[0]["error_code"] == 0 else []
            leaders = len(parts) == 3 and all(p["leader"] >= 0 and len(p["replicas"]) == 3 for p in parts)
            if not leaders:
                time.sleep(0.2)
        listed = name in admin.list_topics()
        deleted = admin.delete_topics([name])
        delete_errors = [e for e in deleted.topic_error_codes if e[1] != 0]
        end = time.monotonic() + DEADLINE
        gone = False
        while not gone and time.monotonic() < end:
            gone = name not in admin.list_topics()
            if not gone:
                time.sleep(0.2)
        return (leaders and listed and gone and not delete_errors, 0, 0,
                "described with leaders=%s, listed=%s, delete errors %s, gone after delete=%s"
                % (leaders, listed, delete_errors, gone))
    finally:
        admin.close()


report("produce-acks0", produce_scenario("produce-acks0", acks=0))
report("produce-acks1", produce_scenario("produce-acks1", acks=1))
report("produce-acksall", produce_scenario("produce-acksall", acks="all"))
for codec in ("gzip", "snappy", "lz4", "zstd"):
    report("produce-" + codec, produce_scenario("produce-" + codec, acks="all", compression_type=codec))
report("consume-earliest", consume_earliest)
report("consume-latest", consume_latest)
report("group-rebalance", group_rebalance)
report("commit-lag", commit_lag)
report("admin-topics", admin_topics)
sys.stdout.flush()
os._exit(0)  # a scenario stuck past its limit must not keep the driver alive
