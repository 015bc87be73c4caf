#!/usr/bin/env python3
"""Load for the broker restart loop (BrokerRestartMetadataProcessTest), on librdkafka.

An idempotent producer writes to one topic while three consumers of one group read it, until
standard input closes; then the producer stops and the consumers go on until they have read every
acknowledged record (90 s at most), and one JSON line starting with RESTARTLOAD sums up what they
saw:

- records produced, acknowledged and consumed, acknowledged records never consumed ("lost"),
  delivery and consumer errors by name;
- how often the producer's own metadata (librdkafka statistics, every 500 ms) showed the topic
  with fewer partitions than it has, after having seen all of them once ("samples_missing"): a
  broker answering Metadata without a live topic shows up here, as the "partition count changed
  from 6 to 0" that librdkafka logs;
- errors saying the topic is unknown, from any callback or produce() call.

usage: restart_load.py BOOTSTRAP TOPIC PARTITIONS
"""
import json
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
stop_producing = threading.Event()
stop = threading.Event()
lock = threading.Lock()
summary = {"produced": 0, "acked": 0, "consumed": 0, "lost": None, "delivery_errors": {}, "consumer_errors": {},
           "client_errors": {}, "unknown_topic_errors": 0, "stats_samples": 0, "samples_missing": 0,
           "min_partitions_seen": None}
seen_all = [False]
acked_keys = set()
consumed_keys = set()
UNKNOWN = {KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC}


def count(field, err):
    with lock:
        summary[field][err.name()] = summary[field].get(err.name(), 0) + 1
        if err.code() in UNKNOWN:
            summary["unknown_topic_errors"] += 1


def on_stats(raw):
    stats = json.loads(raw)
    known = stats.get("topics", {}).get(topic)
    n = 0 if known is None else len([p for p in known.get("partitions", {}) if p != "-1"])
    with lock:
        summary["stats_samples"] += 1
        if n >= partitions:
            seen_all[0] = True
        elif seen_all[0]:
            summary["samples_missing"] += 1
            low = summary["min_partitions_seen"]
            summary["min_partitions_seen"] = n if low is None else min(low, n)


def on_delivery(err, msg):
    if err is None:
        with lock:
            summary["acked"] += 1
            acked_keys.add(msg.key())
    else:
        count("delivery_errors", err)


def produce():
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                         "statistics.interval.ms": 500, "stats_cb": on_stats, "linger.ms": 5,
                         "message.timeout.ms": 120000, "error_cb": lambda e: count("client_errors", e)})
    i = 0
    while not stop_producing.is_set():
        try:
            producer.produce(topic, key=str(i).encode(), value=("v%d" % i).encode(), on_delivery=on_delivery)
            with lock:
                summary["produced"] += 1
            i += 1
        except BufferError:
            pass
        except KafkaException as e:
            count("client_errors", e.args[0])
        producer.poll(0.002)
    producer.flush(60)


def consume(member):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "restart-load", "auto.offset.reset": "earliest",
                         "session.timeout.ms": 10000, "error_cb": lambda e: count("client_errors", e),
                         "client.id": "restart-load-%d" % member})
    consumer.subscribe([topic])
    while not stop.is_set():
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() != KafkaError._PARTITION_EOF:
                count("consumer_errors", msg.error())
            continue
        with lock:
            summary["consumed"] += 1
            consumed_keys.add(msg.key())
    consumer.close()


threads = [threading.Thread(target=produce)] + [threading.Thread(target=consume, args=(m,)) for m in range(3)]
for t in threads:
    t.start()
sys.stdin.read()  # the test closes our standard input when its restarts are done
stop_producing.set()
threads[0].join(90)
deadline = time.time() + 90
while time.time() < deadline:
    with lock:
        if acked_keys <= consumed_keys:
            break
    time.sleep(0.2)
stop.set()
for t in threads[1:]:
    t.join(60)
with lock:
    summary["lost"] = len(acked_keys - consumed_keys)
    print("RESTARTLOAD " + json.dumps(summary, sort_keys=True), flush=True)
