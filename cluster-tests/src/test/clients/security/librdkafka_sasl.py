#!/usr/bin/env python3
"""librdkafka (confluent-kafka-python) against a SASL_SSL listener, for SaslAclClusterTest.

    librdkafka_sasl.py <bootstrap> <ca.pem> <mechanism> <user> <password> <allowed topic> <denied topic>

Prints one line per check, "CHECK <name> PASS|FAIL <detail>", and exits 0 once all ran:
  produce-allowed   100 records to <allowed topic> are acknowledged
  consume-allowed   a consumer in group app-librdkafka reads those 100 back
  produce-denied    a record to <denied topic> fails with TOPIC_AUTHORIZATION_FAILED
  wrong-password    a client with the password reversed fails authentication
Every wait has a deadline.
"""
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient


def config(bootstrap, ca, mechanism, user, password):
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": mechanism,
        "sasl.username": user,
        "sasl.password": password,
        "ssl.ca.location": ca,
    }


def check(name, ok, detail):
    print(f"CHECK {name} {'PASS' if ok else 'FAIL'} {detail}", flush=True)


def produce(conf, topic, values):
    errors = []
    acked = []

    def report(err, msg):
        if err is not None:
            errors.append(err)
        else:
            acked.append(msg.value())

    producer = Producer(dict(conf, **{"message.timeout.ms": 20000}))
    for value in values:
        producer.produce(topic, value=value, on_delivery=report)
    producer.flush(30)
    return acked, errors


def main():
    bootstrap, ca, mechanism, user, password, allowed, denied = sys.argv[1:8]
    conf = config(bootstrap, ca, mechanism, user, password)
    run = uuid.uuid4().hex[:8]
    values = [f"librdkafka-{run}-{i}".encode() for i in range(100)]

    acked, errors = produce(conf, allowed, values)
    check("produce-allowed", len(acked) == 100 and not errors, f"acked={len(acked)} errors={errors[:1]}")

    consumer = Consumer(dict(conf, **{"group.id": "app-librdkafka", "auto.offset.reset": "earliest",
                                      "enable.auto.commit": False}))
    consumer.subscribe([allowed])
    seen = set()
    deadline = time.time() + 60
    while time.time() < deadline and not set(values) <= seen:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            seen.add(msg.value())
    consumer.close()
    check("consume-allowed", set(values) <= seen, f"read={len(set(values) & seen)}")

    acked, errors = produce(conf, denied, [b"must-not-be-written"])
    codes = [e.code() for e in errors]
    check("produce-denied", not acked and KafkaError.TOPIC_AUTHORIZATION_FAILED in codes, f"errors={codes}")

    reported = []
    wrong = dict(config(bootstrap, ca, mechanism, user, password[::-1]), error_cb=reported.append)
    admin = AdminClient(wrong)
    try:
        admin.list_topics(timeout=10)
        listed = True
    except KafkaException:
        listed = False
    deadline = time.time() + 15
    while time.time() < deadline and not any(e.code() == KafkaError._AUTHENTICATION for e in reported):
        admin.poll(0.5)  # serves error_cb
    codes = [e.code() for e in reported]
    check("wrong-password", not listed and KafkaError._AUTHENTICATION in codes, f"errors={reported[:1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
