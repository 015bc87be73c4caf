// The client matrix's driver for Sarama (see ../README.md), built from Debian's source package
// (golang-github-shopify-sarama-dev) with GO111MODULE=off on Debian's GOPATH: no module proxy.
// Sarama speaks the protocol versions of the Kafka version it is configured for: 2.1.0 here
// (the lowest with zstd), below Sarama's MaxVersion. Sarama 1.22 does not ask a broker which
// versions it serves (ApiVersions); two of its defaults use versions that Kafka 4.0 removed, see
// Consumer.Offsets.Retention and listTopics.
//
// Usage: sarama-driver <bootstrap servers> <name prefix>
package main

import (
	"context"
	"fmt"
	"io/ioutil"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

const (
	records  = 300
	deadline = 30 * time.Second
	// scenarioLimit is the most one scenario may take, its waits (at most 2 x 60 s for group-rebalance) included.
	scenarioLimit = 150 * time.Second
)

var (
	brokers []string
	prefix  string
	// saramaVersion is set at build time (-ldflags -X) from the Debian package's version: Sarama has no version constant.
	saramaVersion = "unknown"
	client        string
)

type outcome struct {
	pass               bool
	produced, consumed int
	detail             string
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sarama-driver <bootstrap servers> <name prefix>")
		os.Exit(2)
	}
	brokers, prefix = strings.Split(os.Args[1], ","), os.Args[2]
	client = "sarama-" + saramaVersion + "/protocol-" + sarama.V2_1_0_0.String()
	sarama.Logger = log.New(ioutil.Discard, "", 0)
	if os.Getenv("SARAMA_LOG") != "" {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.LstdFlags)
	}

	report("produce-acks0", produceScenario("produce-acks0", func(c *sarama.Config) { c.Producer.RequiredAcks = sarama.NoResponse }))
	report("produce-acks1", produceScenario("produce-acks1", func(c *sarama.Config) { c.Producer.RequiredAcks = sarama.WaitForLocal }))
	report("produce-acksall", produceScenario("produce-acksall", func(c *sarama.Config) { c.Producer.RequiredAcks = sarama.WaitForAll }))
	report("produce-idempotent", produceScenario("produce-idempotent", func(c *sarama.Config) {
		c.Producer.RequiredAcks = sarama.WaitForAll
		c.Producer.Idempotent = true
		c.Net.MaxOpenRequests = 1
	}))
	codecs := []struct {
		name  string
		codec sarama.CompressionCodec
	}{{"gzip", sarama.CompressionGZIP}, {"snappy", sarama.CompressionSnappy}, {"lz4", sarama.CompressionLZ4}, {"zstd", sarama.CompressionZSTD}}
	for _, codec := range codecs {
		codec := codec
		report("produce-"+codec.name, produceScenario("produce-"+codec.name, func(c *sarama.Config) {
			c.Producer.RequiredAcks = sarama.WaitForAll
			c.Producer.Compression = codec.codec
		}))
	}
	report("consume-earliest", consumeEarliest)
	report("consume-latest", consumeLatest)
	report("group-rebalance", groupRebalance)
	report("commit-lag", commitLag)
	report("admin-topics", adminTopics)
	os.Exit(0) // a scenario abandoned at its limit must not keep the driver alive
}

// report runs one scenario on a goroutine with a limit (a client call may block past the
// scenario's own waits) and prints its MATRIX line.
func report(scenario string, body func() outcome) {
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{detail: fmt.Sprintf("panic %v", r)}
			}
		}()
		done <- body()
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(scenarioLimit):
		o = outcome{detail: fmt.Sprintf("did not finish within %v", scenarioLimit)}
	}
	verdict := "FAIL"
	if o.pass {
		verdict = "PASS"
	}
	detail := strings.Join(strings.Fields(o.detail), " ")
	if len(detail) > 400 {
		detail = detail[:400]
	}
	fmt.Printf("MATRIX %s %s %s produced=%d consumed=%d %s\n", client, scenario, verdict, o.produced, o.consumed, detail)
}

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V2_1_0_0
	c.ClientID = "client-matrix"
	c.Net.DialTimeout = 10 * time.Second
	c.Net.ReadTimeout = deadline
	c.Producer.Return.Successes = true
	c.Producer.Timeout = 15 * time.Second
	c.Producer.Retry.Max = 5
	c.Consumer.Return.Errors = true
	c.Consumer.Group.Session.Timeout = 10 * time.Second
	c.Consumer.Group.Heartbeat.Interval = time.Second
	c.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	// With a retention, Sarama 1.22 commits with OffsetCommit v2; without one (its default) with v1,
	// which Apache Kafka removed in 4.0 (KIP-896) and Runnel does not serve either: both close the
	// connection on it, so a Sarama 1.22 application needs this setting against either.
	c.Consumer.Offsets.Retention = 7 * 24 * time.Hour
	c.Consumer.MaxWaitTime = 500 * time.Millisecond
	return c
}

func topic(scenario string) string { return prefix + "." + scenario }

func values(name string, from, to int) []string {
	var vs []string
	for i := from; i < to; i++ {
		vs = append(vs, fmt.Sprintf("%s-%d", name, i))
	}
	return vs
}

// produce sends vals (key k-i) with a SyncProducer; how many were acknowledged.
func produce(c *sarama.Config, t string, vals []string, partitionOf func(int) int32) (int, error) {
	if partitionOf != nil {
		c.Producer.Partitioner = sarama.NewManualPartitioner
	}
	p, err := sarama.NewSyncProducer(brokers, c)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	for i, v := range vals {
		m := &sarama.ProducerMessage{Topic: t, Key: sarama.StringEncoder(fmt.Sprintf("k-%d", i)), Value: sarama.StringEncoder(v)}
		if partitionOf != nil {
			m.Partition = partitionOf(i)
		}
		msgs = append(msgs, m)
	}
	if err := p.SendMessages(msgs); err != nil {
		if errs, ok := err.(sarama.ProducerErrors); ok {
			fmt.Fprintf(os.Stderr, "produce to %s: %d failed, first: %v\n", t, len(errs), errs[0].Err)
			return len(vals) - len(errs), nil
		}
		return 0, err
	}
	return len(vals), nil
}

// set is a set of values read by consumers on several goroutines.
type set struct {
	sync.Mutex
	m map[string]bool
}

func newSet() *set { return &set{m: map[string]bool{}} }

func (s *set) add(v string) { s.Lock(); s.m[v] = true; s.Unlock() }

func (s *set) size() int { s.Lock(); defer s.Unlock(); return len(s.m) }

func (s *set) hasAll(vs []string) bool {
	s.Lock()
	defer s.Unlock()
	for _, v := range vs {
		if !s.m[v] {
			return false
		}
	}
	return true
}

func (s *set) count(vs []string) int {
	s.Lock()
	defer s.Unlock()
	n := 0
	for _, v := range vs {
		if s.m[v] {
			n++
		}
	}
	return n
}

func waitUntil(done func() bool, d time.Duration) bool {
	end := time.Now().Add(d)
	for !done() && time.Now().Before(end) {
		time.Sleep(100 * time.Millisecond)
	}
	return done()
}

// readAll reads every partition of t from the oldest offset with a (group-less) consumer.
func readAll(t string, expected []string) (*set, error) {
	read := newSet()
	consumer, err := sarama.NewConsumer(brokers, config())
	if err != nil {
		return read, err
	}
	defer consumer.Close()
	partitions, err := consumer.Partitions(t)
	if err != nil {
		return read, err
	}
	for _, p := range partitions {
		pc, err := consumer.ConsumePartition(t, p, sarama.OffsetOldest)
		if err != nil {
			return read, err
		}
		defer pc.AsyncClose()
		go func() {
			for m := range pc.Messages() {
				read.add(string(m.Value))
			}
		}()
	}
	waitUntil(func() bool { return read.hasAll(expected) }, deadline)
	time.Sleep(500 * time.Millisecond)
	return read, nil
}

func compare(vals []string, acked int, read *set, what string) outcome {
	missing := len(vals) - read.count(vals)
	unexpected := read.size() - read.count(vals)
	return outcome{acked == len(vals) && missing == 0 && unexpected == 0, acked, read.size(),
		fmt.Sprintf("%s: acknowledged %d/%d, missing %d, unexpected %d", what, acked, len(vals), missing, unexpected)}
}

func produceScenario(scenario string, configure func(*sarama.Config)) func() outcome {
	return func() outcome {
		c := config()
		configure(c)
		vals := values(scenario, 0, records)
		acked, err := produce(c, topic(scenario), vals, nil)
		if err != nil {
			return outcome{detail: "producer: " + err.Error()}
		}
		read, err := readAll(topic(scenario), vals)
		if err != nil {
			return outcome{produced: acked, detail: "consumer: " + err.Error()}
		}
		return compare(vals, acked, read, fmt.Sprintf("acks=%d idempotent=%v compression=%v", c.Producer.RequiredAcks,
			c.Producer.Idempotent, c.Producer.Compression))
	}
}

// member is one consumer-group member consuming on its own goroutine until stopped.
type member struct {
	group    sarama.ConsumerGroup
	read     *set
	cancel   context.CancelFunc
	done     chan struct{}
	lock     sync.Mutex
	assigned []int32
	claims   int
	errs     []string
}

func (m *member) Setup(s sarama.ConsumerGroupSession) error {
	m.lock.Lock()
	defer m.lock.Unlock()
	m.assigned = nil
	for _, ps := range s.Claims() {
		m.assigned = append(m.assigned, ps...)
	}
	return nil
}

func (m *member) Cleanup(sarama.ConsumerGroupSession) error {
	m.lock.Lock()
	m.assigned = nil
	m.claims = 0
	m.lock.Unlock()
	return nil
}

// ConsumeClaim starts once the partition's consumer has its starting offset (ListOffsets for a reset).
func (m *member) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	m.lock.Lock()
	m.claims++
	m.lock.Unlock()
	for msg := range claim.Messages() {
		m.read.add(string(msg.Value))
		s.MarkMessage(msg, "")
	}
	return nil
}

func (m *member) shape() (int, int) {
	m.lock.Lock()
	defer m.lock.Unlock()
	return len(m.assigned), m.claims
}

func (m *member) partitions() []int32 {
	m.lock.Lock()
	defer m.lock.Unlock()
	return append([]int32(nil), m.assigned...)
}

func startMember(groupID, t string, initial int64, read *set) (*member, error) {
	c := config()
	c.Consumer.Offsets.Initial = initial
	g, err := sarama.NewConsumerGroup(brokers, groupID, c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{group: g, read: read, cancel: cancel, done: make(chan struct{})}
	go func() {
		for err := range g.Errors() {
			m.lock.Lock()
			m.errs = append(m.errs, err.Error())
			m.lock.Unlock()
		}
	}()
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{t}, m); err != nil {
				m.lock.Lock()
				m.errs = append(m.errs, err.Error())
				m.lock.Unlock()
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	return m, nil
}

// stop ends the session (committing what was marked) and leaves the group.
func (m *member) stop() {
	m.cancel()
	select {
	case <-m.done:
	case <-time.After(deadline):
	}
	m.group.Close()
}

func consumeEarliest() outcome {
	t := topic("consume-earliest")
	vals := values("consume-earliest", 0, records)
	acked, err := produce(config(), t, vals, nil)
	if err != nil {
		return outcome{detail: "producer: " + err.Error()}
	}
	read := newSet()
	m, err := startMember(prefix+".earliest-group", t, sarama.OffsetOldest, read)
	if err != nil {
		return outcome{produced: acked, detail: "consumer group: " + err.Error()}
	}
	waitUntil(func() bool { return read.hasAll(vals) }, deadline)
	m.stop()
	return compare(vals, acked, read, "consumer group, Offsets.Initial=OffsetOldest")
}

func consumeLatest() outcome {
	t := topic("consume-latest")
	old := values("consume-latest-old", 0, 100)
	fresh := values("consume-latest", 0, records)
	acked, err := produce(config(), t, old, nil)
	if err != nil {
		return outcome{detail: "producer: " + err.Error()}
	}
	read := newSet()
	m, err := startMember(prefix+".latest-group", t, sarama.OffsetNewest, read)
	if err != nil {
		return outcome{produced: acked, detail: "consumer group: " + err.Error()}
	}
	defer m.stop()
	if !waitUntil(func() bool { a, c := m.shape(); return a == 3 && c == 3 }, deadline) {
		a, c := m.shape()
		return outcome{produced: acked, consumed: read.size(), detail: fmt.Sprintf("assigned %d, claims started %d, errors %v", a, c, m.errs)}
	}
	n, err := produce(config(), t, fresh, nil)
	acked += n
	if err != nil {
		return outcome{produced: acked, detail: "producer: " + err.Error()}
	}
	waitUntil(func() bool { return read.hasAll(fresh) }, deadline)
	time.Sleep(500 * time.Millisecond)
	oldSeen, newSeen := read.count(old), read.count(fresh)
	return outcome{oldSeen == 0 && newSeen == len(fresh) && read.size() == len(fresh), acked, read.size(),
		fmt.Sprintf("new records read %d/%d, old records read %d (want 0)", newSeen, len(fresh), oldSeen)}
}

func groupRebalance() outcome {
	t := topic("group-rebalance")
	group := prefix + ".rebalance-group"
	first, second := values("group-rebalance", 0, 600), values("group-rebalance", 600, 900)
	acked, err := produce(config(), t, first, nil)
	if err != nil {
		return outcome{detail: "producer: " + err.Error()}
	}
	read := newSet()
	var members []*member
	defer func() {
		for _, m := range members {
			m.stop()
		}
	}()
	for i := 0; i < 3; i++ {
		m, err := startMember(group, t, sarama.OffsetOldest, read)
		if err != nil {
			return outcome{produced: acked, detail: "consumer group: " + err.Error()}
		}
		members = append(members, m)
	}
	shape := func() string {
		var s []string
		for _, m := range members {
			a, _ := m.shape()
			s = append(s, fmt.Sprint(a))
		}
		return strings.Join(s, "/")
	}
	owned := func() int {
		all := map[int32]bool{}
		n := 0
		for _, m := range members {
			for _, p := range m.partitions() {
				all[p] = true
				n++
			}
		}
		if n != len(all) {
			return -1 // a partition held twice
		}
		return len(all)
	}
	ok1 := waitUntil(func() bool {
		for _, m := range members {
			if a, _ := m.shape(); a != 2 {
				return false
			}
		}
		return read.hasAll(first) && owned() == 6
	}, 60*time.Second)
	shape1 := shape()
	if !ok1 {
		return outcome{produced: acked, consumed: read.size(), detail: fmt.Sprintf("3 members: read %d/600, assignments %s", read.size(), shape1)}
	}
	leaving := members[2]
	members = members[:2]
	leaving.stop()
	n, err := produce(config(), t, second, nil)
	acked += n
	if err != nil {
		return outcome{produced: acked, detail: "producer: " + err.Error()}
	}
	ok2 := waitUntil(func() bool { return read.hasAll(second) && owned() == 6 }, 60*time.Second)
	return outcome{ok2 && read.size() == 900, acked, read.size(), fmt.Sprintf("assignments %s then %s after one left", shape1, shape())}
}

func commitLag() outcome {
	t := topic("commit-lag")
	group := prefix + ".lag-group"
	acked, err := produce(config(), t, values("commit-lag", 0, records), func(i int) int32 { return int32(i % 3) })
	if err != nil {
		return outcome{detail: "producer: " + err.Error()}
	}
	c, err := sarama.NewClient(brokers, config())
	if err != nil {
		return outcome{produced: acked, detail: "client: " + err.Error()}
	}
	defer c.Close()
	consumer, err := sarama.NewConsumerFromClient(c)
	if err != nil {
		return outcome{produced: acked, detail: "consumer: " + err.Error()}
	}
	perPartition := make([]int, 3)
	var lock sync.Mutex
	consumed := 0
	for p := int32(0); p < 3; p++ {
		pc, err := consumer.ConsumePartition(t, p, sarama.OffsetOldest)
		if err != nil {
			return outcome{produced: acked, detail: "consume: " + err.Error()}
		}
		go func(p int32, pc sarama.PartitionConsumer) {
			for range pc.Messages() {
				lock.Lock()
				perPartition[p]++
				consumed++
				lock.Unlock()
			}
		}(p, pc)
		defer pc.AsyncClose()
	}
	waitUntil(func() bool {
		lock.Lock()
		defer lock.Unlock()
		return perPartition[0] >= 60 && perPartition[1] >= 60 && perPartition[2] >= 60
	}, deadline)
	om, err := sarama.NewOffsetManagerFromClient(group, c)
	if err != nil {
		return outcome{produced: acked, detail: "offset manager: " + err.Error()}
	}
	for p := int32(0); p < 3; p++ {
		pom, err := om.ManagePartition(t, p)
		if err != nil {
			return outcome{produced: acked, detail: "offset manager: " + err.Error()}
		}
		pom.MarkOffset(60, "")
	}
	om.Close() // commits what was marked (OffsetCommit)

	admin, err := sarama.NewClusterAdmin(brokers, config())
	if err != nil {
		return outcome{produced: acked, detail: "admin: " + err.Error()}
	}
	defer admin.Close()
	fetched, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{t: {0, 1, 2}})
	if err != nil {
		return outcome{produced: acked, detail: "OffsetFetch: " + err.Error()}
	}
	pass := acked == records
	lag := int64(0)
	var detail []string
	for p := int32(0); p < 3; p++ {
		committed := int64(-1)
		if b := fetched.GetBlock(t, p); b != nil && b.Err == sarama.ErrNoError {
			committed = b.Offset
		}
		end, err := c.GetOffset(t, p, sarama.OffsetNewest)
		if err != nil {
			return outcome{produced: acked, detail: "ListOffsets: " + err.Error()}
		}
		lag += end - committed
		pass = pass && committed == 60 && end == 100
		detail = append(detail, fmt.Sprintf("p%d committed=%d end=%d", p, committed, end))
	}
	lock.Lock()
	defer lock.Unlock()
	return outcome{pass && lag == 120, acked, consumed, fmt.Sprintf("lag %d (want 120): %s", lag, strings.Join(detail, " "))}
}

func adminTopics() outcome {
	name := prefix + ".admin"
	admin, err := sarama.NewClusterAdmin(brokers, config())
	if err != nil {
		return outcome{detail: "admin: " + err.Error()}
	}
	defer admin.Close()
	if err := admin.CreateTopic(name, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 3}, false); err != nil {
		return outcome{detail: "CreateTopics: " + err.Error()}
	}
	leaders := waitUntil(func() bool {
		md, err := admin.DescribeTopics([]string{name})
		if err != nil || len(md) != 1 || md[0].Err != sarama.ErrNoError || len(md[0].Partitions) != 3 {
			return false
		}
		for _, p := range md[0].Partitions {
			if p.Leader < 0 || len(p.Replicas) != 3 {
				return false
			}
		}
		return true
	}, deadline)
	listed, err := listTopics(name)
	if err != nil {
		return outcome{detail: "list: " + err.Error()}
	}
	if err := admin.DeleteTopic(name); err != nil {
		return outcome{detail: "DeleteTopics: " + err.Error()}
	}
	gone := waitUntil(func() bool {
		still, err := listTopics(name)
		return err == nil && !still
	}, deadline)
	return outcome{leaders && listed && gone, 0, 0, fmt.Sprintf("described with leaders=%v, listed=%v, gone after delete=%v", leaders, listed, gone)}
}

// listTopics says whether a full Metadata answer lists name. Not ClusterAdmin.ListTopics: in
// Sarama 1.22 it also sends DescribeConfigs v0 for every topic, a version Apache Kafka removed in
// 4.0 (KIP-896) and Runnel does not serve either; both close the connection on it.
func listTopics(name string) (bool, error) {
	c, err := sarama.NewClient(brokers, config())
	if err != nil {
		return false, err
	}
	defer c.Close()
	if err := c.RefreshMetadata(); err != nil {
		return false, err
	}
	topics, err := c.Topics()
	if err != nil {
		return false, err
	}
	for _, t := range topics {
		if t == name {
			return true, nil
		}
	}
	return false, nil
}
