#!/usr/bin/python3
"""The client matrix's driver for kcat (librdkafka's command-line client; see ../README.md).

Every step is a real kcat process; this script only feeds, starts, stops and reads them, each
with a deadline. kcat cannot commit chosen offsets nor read committed offsets back, and has no
admin API, so it does not run commit-lag and admin-topics. Its transactional producer
(-X transactional.id) commits what one -P run read from its input, or aborts when kcat is
terminated by a signal, and cannot add a consumer's offsets to the transaction: it runs
transactions but not transactional-copy.

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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import matrix_common as matrix  # noqa: E402
from matrix_common import BOOTSTRAP, DEADLINE, PREFIX, RECORDS, topic, values  # noqa: E402

KCAT = "/usr/bin/kcat"
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


def produce(t, vals, *options):
    """kcat -P with keyed lines on stdin; every line counts as delivered only if kcat reported no failure."""
    lines = "".join("k-%d:%s\n" % (i, v) for i, v in enumerate(vals))
    code, _, err = run_kcat(["-P", "-b", BOOTSTRAP, "-t", t, "-K", ":", "-X", "message.timeout.ms=30000"] + list(options),
                            stdin=lines)
    failed = code != 0 or "Delivery failed" in err or "ERROR" in err
    if failed:
        print("kcat -P %s: exit %d: %s" % (t, code, err[-500:]), file=sys.stderr)
    return 0 if failed else len(vals)


def produce_acked(t, vals):
    return produce(t, vals, "-X", "acks=all")


def read_all(t, expected):
    """kcat -C from the beginning of every partition, until the end of each (-e); expected is not needed."""
    code, out, err = run_kcat(["-C", "-b", BOOTSTRAP, "-t", t, "-o", "beginning", "-e", "-q", "-f", "%s\\n"])
    if code != 0:
        print("kcat -C %s: exit %d: %s" % (t, code, err[-500:]), file=sys.stderr)
    return set(out.split())


def produce_scenario(scenario, *options):
    return matrix.produce_scenario(scenario, lambda t, vals: produce(t, vals, *options), read_all,
                                   " ".join(options[1::2]))


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
    def step_and_pause():
        step()
        time.sleep(0.1)

    matrix.until(done, seconds, step_and_pause)
    step()
    return done()


def group_consumer(group, reset, t, *extra):
    return Kcat(["-b", BOOTSTRAP, "-G", group, "-X", "auto.offset.reset=" + reset, "-X", "session.timeout.ms=10000",
                 "-X", "heartbeat.interval.ms=1000", "-u", "-f", "%s\\n"] + list(extra) + [t])


class Reader:
    """A new member of a group for consume-earliest and consume-latest (see matrix_common.consume_latest):
    a kcat -G started at once, stopped (SIGTERM) at close."""

    def __init__(self, t, group, read, reset, *extra):
        self.read, self.lines, self.at_end = read, [], set()
        self.kcat = group_consumer(group, reset, t, *extra)
        self.note = ""

    def start(self):
        pass

    def step(self):
        self.kcat.drain(self.read, self.lines)
        for line in self.lines:
            m = REACHED_END.search(line)
            if m:
                self.at_end.add(m.group(1))

    def position(self):
        # kcat reports the end of a partition once it has fetched from the reset position: positioned.
        if not wait_until(lambda: len(self.at_end) == 3, DEADLINE, self.step):
            return "positioned at the end of %s of 3 partitions; kcat said %s" % (sorted(self.at_end), self.lines[-3:])
        return None

    def read_until(self, done):
        wait_until(done, DEADLINE, self.step)

    def close(self):
        self.kcat.stop()
        self.kcat.drain(self.read)


class Group(matrix.Group):
    """group-rebalance's members, each a kcat -G committing every 500 ms."""

    def __init__(self, t, group):
        super().__init__()
        self.members = [group_consumer(group, "earliest", t, "-X", "auto.commit.interval.ms=500") for _ in range(3)]

    def drain_all(self):
        for m in self.members:
            m.drain(self.read)

    def assignments(self):
        return [m.assigned for m in self.members]

    def wait_until(self, done, seconds):
        return wait_until(done, seconds, self.drain_all)

    def leave(self):
        leaving = self.members.pop()
        leaving.stop()
        leaving.drain(self.read)

    def close(self):
        for m in self.members:
            m.stop()


def lines(vals):
    return "".join("k-%d:%s\n" % (i, v) for i, v in enumerate(vals))


def read_isolated(t, isolation):
    """kcat -C from the beginning of every partition to the end of each (-e) with isolation.level=isolation
    (the end is the last stable offset for read_committed): every value read, duplicates kept."""
    code, out, err = run_kcat(["-C", "-b", BOOTSTRAP, "-t", t, "-o", "beginning", "-e", "-q", "-f", "%s\\n",
                               "-X", "isolation.level=" + isolation])
    if code != 0:
        print("kcat -C %s %s: exit %d: %s" % (isolation, t, code, err[-500:]), file=sys.stderr)
    return out.split()


def transactions():
    """One kcat -P run with a transactional id commits RECORDS keyed records (spread over the 3
    partitions by the keys) when its input ends; a second run with the same id gets 100 more, and
    once a read_uncommitted kcat sees them in the log it is terminated (SIGTERM, its input then
    closed), on which kcat aborts the transaction ("Aborting transaction due to termination
    signal"); a read_committed kcat reads exactly the committed records, once each."""
    t = topic("transactions")
    committed, aborted = values("transactions", 0, RECORDS), values("transactions-aborted", 0, 100)
    producer = ["-P", "-b", BOOTSTRAP, "-t", t, "-K", ":", "-m", "30", "-X", "message.timeout.ms=30000",
                "-X", "transactional.id=%s.txn" % PREFIX]
    code, _, err = run_kcat(producer, stdin=lines(committed))
    committed_ok = code == 0 and "Transaction successfully committed" in err and "ERROR" not in err
    if not committed_ok:
        return False, 0, 0, "the committed transaction: kcat exit %d: %s" % (code, err[-300:])

    process = subprocess.Popen([KCAT] + producer, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    CHILDREN.append(process)
    # kcat reads its input 128 bytes ahead of each line it takes (fread), so with the input left open
    # it would hold back the last lines: empty lines after them (kcat skips those) let it take all 100.
    process.stdin.write(lines(aborted) + "\n" * 16384)
    process.stdin.flush()
    written = matrix.retry(lambda: set(aborted) <= set(read_isolated(t, "read_uncommitted")), DEADLINE, 0.5)
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=DEADLINE + 15)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    # Not a fatal error in abort_transaction(), nor a line still being produced when the signal came.
    aborted_ok = "Aborting transaction" in err and "abort_transaction()" not in err and "Program terminated" not in err

    read = read_isolated(t, "read_committed")
    distinct = set(read)
    uncommitted = set(read_isolated(t, "read_uncommitted"))
    missing = len(set(committed) - distinct)
    aborted_read = len(distinct & set(aborted))
    passed = written and aborted_ok and missing == 0 and aborted_read == 0 and len(read) == RECORDS and len(distinct) == RECORDS
    return passed, RECORDS, len(distinct), (
        "committed %d (kcat: transaction committed), aborted %d written=%s then aborted=%s%s; read_committed read %d "
        "records: missing %d, aborted %d (want 0), duplicates %d (want 0); read_uncommitted read %d distinct (the "
        "aborted ones too)" % (RECORDS, len(aborted), written, aborted_ok, "" if aborted_ok else " (kcat: %s)" % err[-200:],
                               len(read), missing, aborted_read, len(read) - len(distinct), len(uncommitted)))


def kill_children():
    for child in CHILDREN:
        if child.poll() is None:
            child.kill()


matrix.run(CLIENT, [
    produce_scenario("produce-acks0", "-X", "acks=0"),
    produce_scenario("produce-acks1", "-X", "acks=1"),
    produce_scenario("produce-acksall", "-X", "acks=all"),
    produce_scenario("produce-idempotent", "-X", "acks=all", "-X", "enable.idempotence=true"),
] + [produce_scenario("produce-" + codec, "-X", "acks=all", "-X", "compression.codec=" + codec) for codec in matrix.CODECS] + [
    matrix.consume_earliest(produce_acked, lambda t, group, read: Reader(t, group, read, "earliest"),
                            "kcat -G, auto.offset.reset=earliest"),
    matrix.consume_latest(produce_acked, lambda t, group, read: Reader(t, group, read, "latest",
                                                                       "-X", "enable.partition.eof=true")),
    matrix.group_rebalance(produce_acked, Group),
    ("transactions", transactions),
], kill_children)
