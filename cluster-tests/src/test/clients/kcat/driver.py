#!/usr/bin/python3
"""The client matrix's driver for kcat (librdkafka's command-line client; see ../README.md).

Every step is a real kcat process; this script only feeds, starts, stops and reads them, each
with a deadline. kcat cannot commit chosen offsets nor read committed offsets back, and has no
admin API, so it does not run commit-lag and admin-topics.

Usage: driver.py <bootstrap servers> <name prefix>
"""
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

KCAT = "/usr/bin/kcat"
RECORDS = 300
DEADLINE = 30.0
# The most one scenario may take, its waits (at most 2 x 60 s for group-rebalance) included.
SCENARIO_LIMIT = 150

BOOTSTRAP, PREFIX = sys.argv[1], sys.argv[2]
ASSIGNED = re.compile(r"rebalanced .*assigned: (.*)$")
REVOKED = re.compile(r"rebalanced .*revoked: ")
REACHED_END = re.compile(r"Reached end of topic \S+ \[(\d+)\]")
# Every kcat started, so that none outlives the driver (a scenario past its limit is abandoned, not joined).
CHILDREN = []


def run_kcat(args, stdin=None, timeout=DEADLINE + 15):
    """One kcat run to its end, killed at timeout: (exit code, stdout, stderr)."""
    process = subprocess.Popen([KCAT] + args, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    CHILDREN.append(process)
    try:
        out, err = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        err += "\n(killed after %s s)" % timeout
    return process.returncode, out, err


def version():
    out = subprocess.run([KCAT, "-V"], capture_output=True, text=True, timeout=10).stdout
    kcat = re.search(r"Version (\S+)", out)
    lib = re.search(r"librdkafka (\d\S*)", out)
    return "kcat-%s/librdkafka-%s" % (kcat.group(1) if kcat else "?", lib.group(1) if lib else "?")


CLIENT = version()


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


def produce(t, vals, *options):
    """kcat -P with keyed lines on stdin; every line counts as delivered only if kcat reported no failure."""
    lines = "".join("k-%d:%s\n" % (i, v) for i, v in enumerate(vals))
    code, _, err = run_kcat(["-P", "-b", BOOTSTRAP, "-t", t, "-K", ":", "-X", "message.timeout.ms=30000"] + list(options),
                            stdin=lines)
    failed = code != 0 or "Delivery failed" in err or "ERROR" in err
    if failed:
        print("kcat -P %s: exit %d: %s" % (t, code, err[-500:]), file=sys.stderr)
    return 0 if failed else len(vals)


def read_all(t):
    """kcat -C from the beginning of every partition, until the end of each (-e)."""
    code, out, err = run_kcat(["-C", "-b", BOOTSTRAP, "-t", t, "-o", "beginning", "-e", "-q", "-f", "%s\\n"])
    if code != 0:
        print("kcat -C %s: exit %d: %s" % (t, code, err[-500:]), file=sys.stderr)
    return set(out.split())


def compare(vals, acked, read, what):
    expected = set(vals)
    missing = len(expected - read)
    unexpected = len(read - expected)
    return (acked == len(vals) and missing == 0 and unexpected == 0, acked, len(read),
            "%s: acknowledged %d/%d, missing %d, unexpected %d" % (what, acked, len(vals), missing, unexpected))


def produce_scenario(scenario, *options):
    def body():
        vals = values(scenario, 0, RECORDS)
        acked = produce(topic(scenario), vals, *options)
        return compare(vals, acked, read_all(topic(scenario)), " ".join(options[1::2]))
    return body


class Kcat:
    """A long-running kcat consumer whose stdout lines (values) and stderr lines are read on threads."""

    def __init__(self, args):
        self.process = subprocess.Popen([KCAT] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        CHILDREN.append(self.process)
        self.values = queue.Queue()
        self.events = queue.Queue()
        self.assigned = set()
        threading.Thread(target=self._pump, args=(self.process.stdout, self.values), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.events), daemon=True).start()

    @staticmethod
    def _pump(stream, into):
        for line in stream:
            into.put(line.rstrip("\n"))

    def drain(self, read, lines=None):
        """Values read so far into read; stderr lines into lines; tracks the assignment kcat reports."""
        while True:
            try:
                read.add(self.values.get_nowait())
            except queue.Empty:
                break
        while True:
            try:
                line = self.events.get_nowait()
            except queue.Empty:
                break
            if lines is not None:
                lines.append(line)
            m = ASSIGNED.search(line)
            if m:
                self.assigned = set(re.findall(r"\[(\d+)\]", m.group(1)))
            elif REVOKED.search(line):
                self.assigned = set()

    def stop(self):
        """SIGTERM: kcat closes its consumer (commits, LeaveGroup) and exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def wait_until(done, seconds, step):
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        step()
        time.sleep(0.1)
    step()
    return done()


def group_consumer(group, reset, t, *extra):
    return Kcat(["-b", BOOTSTRAP, "-G", group, "-X", "auto.offset.reset=" + reset, "-X", "session.timeout.ms=10000",
                 "-X", "heartbeat.interval.ms=1000", "-u", "-f", "%s\\n"] + list(extra) + [t])


def consume_earliest():
    t = topic("consume-earliest")
    vals = values("consume-earliest", 0, RECORDS)
    acked = produce(t, vals, "-X", "acks=all")
    read = set()
    c = group_consumer(PREFIX + ".earliest-group", "earliest", t)
    try:
        wait_until(lambda: set(vals) <= read, DEADLINE, lambda: c.drain(read))
    finally:
        c.stop()
        c.drain(read)
    return compare(vals, acked, read, "kcat -G, auto.offset.reset=earliest")


def consume_latest():
    t = topic("consume-latest")
    old = values("consume-latest-old", 0, 100)
    fresh = values("consume-latest", 0, RECORDS)
    acked = produce(t, old, "-X", "acks=all")
    read, lines, at_end = set(), [], set()
    c = group_consumer(PREFIX + ".latest-group", "latest", t, "-X", "enable.partition.eof=true")

    def step():
        c.drain(read, lines)
        for line in lines:
            m = REACHED_END.search(line)
            if m:
                at_end.add(m.group(1))

    try:
        # kcat reports the end of a partition once it has fetched from the reset position: positioned.
        if not wait_until(lambda: len(at_end) == 3, DEADLINE, step):
            return False, acked, len(read), "positioned at the end of %s of 3 partitions; kcat said %s" % (
                sorted(at_end), lines[-3:])
        acked += produce(t, fresh, "-X", "acks=all")
        wait_until(lambda: set(fresh) <= read, DEADLINE, step)
    finally:
        c.stop()
        c.drain(read)
    old_seen = len(read & set(old))
    new_seen = len(read & set(fresh))
    return (old_seen == 0 and new_seen == len(fresh) and len(read) == len(fresh), acked, len(read),
            "new records read %d/%d, old records read %d (want 0)" % (new_seen, len(fresh), old_seen))


def group_rebalance():
    t = topic("group-rebalance")
    group = PREFIX + ".rebalance-group"
    first, second = values("group-rebalance", 0, 600), values("group-rebalance", 600, 900)
    acked = produce(t, first, "-X", "acks=all")
    read = set()
    members = [group_consumer(group, "earliest", t, "-X", "auto.commit.interval.ms=500") for _ in range(3)]

    def step():
        for m in members:
            m.drain(read)

    def shape():
        return "/".join(str(len(m.assigned)) for m in members)

    def owned():
        return set().union(*(m.assigned for m in members))

    try:
        ok1 = wait_until(lambda: set(first) <= read and all(len(m.assigned) == 2 for m in members)
                         and len(owned()) == 6, 60, step)
        shape1 = shape()
        if not ok1:
            return False, acked, len(read), "3 members: read %d/600, assignments %s" % (len(read), shape1)
        leaving = members.pop()
        leaving.stop()
        leaving.drain(read)
        acked += produce(t, second, "-X", "acks=all")
        ok2 = wait_until(lambda: set(second) <= read and len(owned()) == 6
                         and sum(len(m.assigned) for m in members) == 6, 60, step)
        return (ok2 and read == set(first) | set(second), acked, len(read),
                "assignments %s then %s after one left" % (shape1, shape()))
    finally:
        for m in members:
            m.stop()


report("produce-acks0", produce_scenario("produce-acks0", "-X", "acks=0"))
report("produce-acks1", produce_scenario("produce-acks1", "-X", "acks=1"))
report("produce-acksall", produce_scenario("produce-acksall", "-X", "acks=all"))
report("produce-idempotent", produce_scenario("produce-idempotent", "-X", "acks=all", "-X", "enable.idempotence=true"))
for codec in ("gzip", "snappy", "lz4", "zstd"):
    report("produce-" + codec, produce_scenario("produce-" + codec, "-X", "acks=all", "-X", "compression.codec=" + codec))
report("consume-earliest", consume_earliest)
report("consume-latest", consume_latest)
report("group-rebalance", group_rebalance)
for child in CHILDREN:
    if child.poll() is None:
        child.kill()
sys.stdout.flush()
os._exit(0)  # a scenario stuck past its limit must not keep the driver alive
