"""What the client matrix's Python drivers share (see README.md): their arguments, the records and
topics of each scenario, the checks and the MATRIX lines; each driver keeps its client's own calls.

A driver imports it from the directory above its own (not from the working directory, which is
the test's), runs its scenarios with run() and gives the scenarios that have the same steps in
every client (produce-*, consume-earliest, consume-latest, group-rebalance) the client's calls.
"""
import contextlib
import os
import sys
import threading
import time

RECORDS = 300
DEADLINE = 30.0
# The most one scenario may take, its waits (at most 2 x 60 s for group-rebalance) included.
SCENARIO_LIMIT = 150
CODECS = ("gzip", "snappy", "lz4", "zstd")

# Usage: driver.py <bootstrap servers> <name prefix>
BOOTSTRAP, PREFIX = sys.argv[1], sys.argv[2]


def topic(scenario):
    return "%s.%s" % (PREFIX, scenario)


def values(name, start, end):
    return ["%s-%d" % (name, i) for i in range(start, end)]


def until(done, seconds, step):
    """Calls step() while done() is false, for at most seconds; then done()."""
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        step()
    return done()


def retry(check, seconds=DEADLINE, pause=0.2):
    """Calls check() until it answers true, for at most seconds, pausing between calls; its last answer."""
    end = time.monotonic() + seconds
    answer = False
    while not answer and time.monotonic() < end:
        answer = check()
        if not answer:
            time.sleep(pause)
    return answer


def compare(vals, acked, read, what):
    """An outcome: every record acknowledged and read, nothing else read."""
    expected = set(vals)
    missing = len(expected - read)
    unexpected = len(read - expected)
    return (acked == len(vals) and missing == 0 and unexpected == 0, acked, len(read),
            "%s: acknowledged %d/%d, missing %d, unexpected %d" % (what, acked, len(vals), missing, unexpected))


def produce_scenario(scenario, produce, read_all, what):
    """A produce-* scenario: (name, body). produce(topic, values) answers how many were acknowledged,
    read_all(topic, expected) the values read from the beginning of the topic."""
    def body():
        vals = values(scenario, 0, RECORDS)
        acked = produce(topic(scenario), vals)
        return compare(vals, acked, read_all(topic(scenario), set(vals)), what)
    return scenario, body


def keyword_produce_scenarios(produce, read_all):
    """For a client whose producer takes its settings as keywords, produce(topic, values, **settings):
    what makes its produce-* scenarios, (name, **settings), whose detail lists the settings."""
    def scenario(name, **config):
        return produce_scenario(name, lambda t, vals: produce(t, vals, **config), read_all,
                                " ".join("%s=%s" % kv for kv in config.items()))
    return scenario


@contextlib.contextmanager
def joined(join, t, group, read):
    """A new member, join(topic, group, read), started, and closed at the end of the block."""
    member = join(t, group, read)
    try:
        member.start()
        yield member
    finally:
        member.close()


def consume_earliest(produce, join, what):
    """consume-earliest: (name, body). join(topic, group, read) is a new member of group, reading
    from the earliest offset into the set read (see consume_latest for what it must offer)."""
    def body():
        t = topic("consume-earliest")
        vals = values("consume-earliest", 0, RECORDS)
        acked = produce(t, vals)
        read = set()
        with joined(join, t, PREFIX + ".earliest-group", read) as member:
            member.read_until(lambda: set(vals) <= read)
        return compare(vals, acked, read, what)
    return "consume-earliest", body


def consume_latest(produce, join):
    """consume-latest: (name, body). join(topic, group, read) is a new member of group resetting
    to the latest offset: start() subscribes, position() answers why it is not positioned at the
    end of all 3 partitions within DEADLINE (None once it is), read_until(done) reads into the
    set read until done() or DEADLINE, close() leaves; its note is said before the verdict."""
    def body():
        t = topic("consume-latest")
        old = values("consume-latest-old", 0, 100)
        fresh = values("consume-latest", 0, RECORDS)
        acked = produce(t, old)
        read = set()
        with joined(join, t, PREFIX + ".latest-group", read) as member:
            failure = member.position()
            if failure:
                return False, acked, len(read), failure
            acked += produce(t, fresh)
            member.read_until(lambda: set(fresh) <= read)
        old_seen = len(read & set(old))
        new_seen = len(read & set(fresh))
        return (old_seen == 0 and new_seen == len(fresh) and len(read) == len(fresh), acked, len(read),
                "%snew records read %d/%d, old records read %d (want 0)" % (member.note, new_seen, len(fresh), old_seen))
    return "consume-latest", body


class Group:
    """group-rebalance's three members of one group, for group_rebalance: a driver's subclass makes
    them (reading into self.read) and says how they start, wait, report assignments, leave and close."""

    def __init__(self):
        self.read = set()

    def start(self):
        """Subscribes the members (if making them did not)."""

    def received(self):
        """The values read so far (a copy where members read on other threads)."""
        return self.read

    def assignments(self):
        """Per member still in the group, the set of partitions assigned to it."""
        raise NotImplementedError

    def wait_until(self, done, seconds):
        """Lets the members read (and commit) while done() is false, for at most seconds; then done()."""
        raise NotImplementedError

    def leave(self):
        """The last member leaves the group (LeaveGroup)."""
        raise NotImplementedError

    def errors(self):
        """What went wrong in members, if they run on their own."""
        return []

    def close(self):
        """Every member still in the group closes."""
        raise NotImplementedError


def group_rebalance(produce, make_group):
    """group-rebalance: (name, body). make_group(topic, group) makes the Group."""
    def body():
        t = topic("group-rebalance")
        first, second = values("group-rebalance", 0, 600), values("group-rebalance", 600, 900)
        acked = produce(t, first)
        group = make_group(t, PREFIX + ".rebalance-group")

        def shape():
            return "/".join(str(len(a)) for a in group.assignments())

        def owned():
            return set().union(*group.assignments())

        try:
            group.start()
            ok1 = group.wait_until(lambda: set(first) <= group.received()
                                   and all(len(a) == 2 for a in group.assignments()) and len(owned()) == 6, 60)
            shape1 = shape()
            if not ok1:
                return False, acked, len(group.received()), "3 members: read %d/600, assignments %s" % (
                    len(group.received()), shape1)
            group.leave()
            acked += produce(t, second)
            ok2 = group.wait_until(lambda: set(second) <= group.received() and len(owned()) == 6
                                   and sum(len(a) for a in group.assignments()) == 6, 60)
            errors = group.errors()
            return (ok2 and group.received() == set(first) | set(second) and not errors, acked, len(group.received()),
                    "assignments %s then %s after one left%s" % (shape1, shape(), ", member error %s" % errors[0] if errors else ""))
        finally:
            group.close()
    return "group-rebalance", body


def report(client, scenario, body):
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
          % (client, scenario, "PASS" if passed else "FAIL", produced, consumed, detail), flush=True)


def run(client, scenarios, before_exit=None):
    """Reports every (name, body) of scenarios in turn, then ends the driver."""
    for scenario, body in scenarios:
        report(client, scenario, body)
    if before_exit is not None:
        before_exit()
    sys.stdout.flush()
    os._exit(0)  # a scenario stuck past its limit must not keep the driver alive
