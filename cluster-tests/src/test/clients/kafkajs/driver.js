#!/usr/bin/env node
// The client matrix's driver for KafkaJS (see ../README.md). KafkaJS has gzip built in and snappy
// through the pure-JavaScript kafkajs-snappy; its lz4 and zstd codecs are native add-ons that are
// not installed here, so it does not run produce-lz4 and produce-zstd. KafkaJS consumers exist only
// in groups (no assign()), so every read-back is a group member of its own group.
//
// Usage: node driver.js <bootstrap servers> <name prefix>
'use strict'

const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = require('kafkajs')
CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy')

const RECORDS = 300
const DEADLINE_MS = 30000
// The most one scenario may take, its waits (at most 2 x 60 s for group-rebalance) included.
const SCENARIO_LIMIT_MS = 150000
const [BOOTSTRAP, PREFIX] = process.argv.slice(2)
const CLIENT = 'kafkajs-' + require('kafkajs/package.json').version

const kafka = new Kafka({
  clientId: 'client-matrix',
  brokers: BOOTSTRAP.split(','),
  logLevel: logLevel.WARN,
  // Logs to stderr: stdout is for MATRIX lines only.
  logCreator: () => ({ namespace, level, log }) =>
    process.stderr.write(`${new Date().toISOString()} ${level} ${namespace} ${log.message} ${JSON.stringify(log)}\n`)
})

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const topic = scenario => `${PREFIX}.${scenario}`
const values = (name, from, to) => Array.from({ length: to - from }, (_, i) => `${name}-${from + i}`)
const oneLine = text => String(text).replace(/\s+/g, ' ').slice(0, 400)

async function waitUntil (done, ms) {
  const end = Date.now() + ms
  while (!done() && Date.now() < end) await sleep(100)
  return done()
}

async function report (scenario, body) {
  let outcome
  try {
    outcome = await Promise.race([body(), sleep(SCENARIO_LIMIT_MS).then(() => { throw new Error(`did not finish within ${SCENARIO_LIMIT_MS / 1000} s`) })])
  } catch (e) {
    outcome = { pass: false, produced: 0, consumed: 0, detail: `exception ${e.name}: ${e.message}` }
  }
  process.stdout.write(`MATRIX ${CLIENT} ${scenario} ${outcome.pass ? 'PASS' : 'FAIL'} produced=${outcome.produced} ` +
    `consumed=${outcome.consumed} ${oneLine(outcome.detail)}\n`)
}

/** Sends vals (key k-i) in batches of 50; how many were acknowledged. */
async function produce (t, vals, { acks = -1, idempotent = false, compression = CompressionTypes.None, partitionOf } = {}) {
  const producer = kafka.producer({ idempotent, maxInFlightRequests: idempotent ? 1 : undefined, allowAutoTopicCreation: false })
  await producer.connect()
  let acked = 0
  try {
    for (let i = 0; i < vals.length; i += 50) {
      const messages = vals.slice(i, i + 50).map((v, j) => ({
        key: `k-${i + j}`, value: v, partition: partitionOf ? partitionOf(i + j) : undefined
      }))
      try {
        await producer.send({ topic: t, acks, compression, timeout: DEADLINE_MS, messages })
        acked += messages.length
      } catch (e) {
        process.stderr.write(`produce to ${t}: ${e}\n`)
      }
    }
  } finally {
    await producer.disconnect()
  }
  return acked
}

/**
 * A member of a new group on t that reads into read until done() or the deadline. onJoin gets each
 * assignment; fromBeginning is auto.offset.reset=earliest.
 */
function member (group, t, read, { fromBeginning = true, onJoin, autoCommit = true, readUncommitted = false } = {}) {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 1000, maxWaitTimeInMs: 500, readUncommitted })
  // reached: per partition, the offset after the last one fetched and processed, aborted records and
  // markers included (KafkaJS reports batches that held only those in END_BATCH_PROCESS too).
  const state = { consumer, assigned: [], fetched: 0, crashed: null, reached: {} }
  consumer.on(consumer.events.END_BATCH_PROCESS, e => {
    if (e.payload.topic === t && e.payload.lastOffset != null) {
      state.reached[e.payload.partition] = Math.max(state.reached[e.payload.partition] || 0, Number(e.payload.lastOffset) + 1)
    }
  })
  consumer.on(consumer.events.GROUP_JOIN, e => {
    state.assigned = (e.payload.memberAssignment[t] || []).slice()
    if (onJoin) onJoin(state.assigned)
  })
  consumer.on(consumer.events.FETCH, () => { state.fetched++ })
  consumer.on(consumer.events.CRASH, e => { state.crashed = String(e.payload.error) })
  state.start = async (eachMessage, eachBatch) => {
    await consumer.connect()
    await consumer.subscribe({ topics: [t], fromBeginning })
    await consumer.run(eachBatch ? { autoCommit, eachBatch } : {
      autoCommit,
      eachMessage: eachMessage || (async ({ message }) => { read.add(message.value.toString()) })
    })
  }
  return state
}

async function readAll (t, expected) {
  const read = new Set()
  const m = member(`${PREFIX}.reader.${t}`, t, read)
  try {
    await m.start()
    await waitUntil(() => [...expected].every(v => read.has(v)), DEADLINE_MS)
    await sleep(500) // anything beyond what was expected
  } finally {
    await m.consumer.disconnect()
  }
  return read
}

function compare (vals, acked, read, what) {
  const expected = new Set(vals)
  const missing = vals.filter(v => !read.has(v)).length
  const unexpected = [...read].filter(v => !expected.has(v)).length
  return {
    pass: acked === vals.length && missing === 0 && unexpected === 0,
    produced: acked,
    consumed: read.size,
    detail: `${what}: acknowledged ${acked}/${vals.length}, missing ${missing}, unexpected ${unexpected}`
  }
}

function produceScenario (scenario, options, what) {
  return async () => {
    const vals = values(scenario, 0, RECORDS)
    const acked = await produce(topic(scenario), vals, options)
    return compare(vals, acked, await readAll(topic(scenario), new Set(vals)), what)
  }
}

async function consumeEarliest () {
  const t = topic('consume-earliest')
  const vals = values('consume-earliest', 0, RECORDS)
  const acked = await produce(t, vals)
  const read = new Set()
  const m = member(`${PREFIX}.earliest-group`, t, read, { fromBeginning: true })
  try {
    await m.start()
    await waitUntil(() => vals.every(v => read.has(v)), DEADLINE_MS)
  } finally {
    await m.consumer.disconnect()
  }
  return compare(vals, acked, read, 'group consumer, fromBeginning: true')
}

async function consumeLatest () {
  const t = topic('consume-latest')
  const old = values('consume-latest-old', 0, 100)
  const fresh = values('consume-latest', 0, RECORDS)
  let acked = await produce(t, old)
  const read = new Set()
  const m = member(`${PREFIX}.latest-group`, t, read, { fromBeginning: false })
  try {
    await m.start()
    // KafkaJS resolves the offsets of every assigned partition (ListOffsets latest) before its first fetch.
    if (!await waitUntil(() => m.assigned.length === 3 && m.fetched > 0, DEADLINE_MS)) {
      return { pass: false, produced: acked, consumed: read.size, detail: `assignment ${m.assigned}, fetches ${m.fetched}` }
    }
    acked += await produce(t, fresh)
    await waitUntil(() => fresh.every(v => read.has(v)), DEADLINE_MS)
    await sleep(500)
  } finally {
    await m.consumer.disconnect()
  }
  const oldSeen = old.filter(v => read.has(v)).length
  const newSeen = fresh.filter(v => read.has(v)).length
  return {
    pass: oldSeen === 0 && newSeen === fresh.length && read.size === fresh.length,
    produced: acked,
    consumed: read.size,
    detail: `new records read ${newSeen}/${fresh.length}, old records read ${oldSeen} (want 0)`
  }
}

async function groupRebalance () {
  const t = topic('group-rebalance')
  const group = `${PREFIX}.rebalance-group`
  const first = values('group-rebalance', 0, 600)
  const second = values('group-rebalance', 600, 900)
  let acked = await produce(t, first)
  const read = new Set()
  const members = [0, 1, 2].map(() => member(group, t, read))
  const shape = () => members.map(m => m.assigned.length).join('/')
  const owned = () => new Set(members.flatMap(m => m.assigned))
  try {
    await Promise.all(members.map(m => m.start()))
    const ok1 = await waitUntil(() => first.every(v => read.has(v)) && members.every(m => m.assigned.length === 2) &&
      owned().size === 6, 60000)
    const shape1 = shape()
    if (!ok1) return { pass: false, produced: acked, consumed: read.size, detail: `3 members: read ${read.size}/600, assignments ${shape1}` }
    await members.pop().consumer.disconnect() // LeaveGroup
    acked += await produce(t, second)
    const ok2 = await waitUntil(() => second.every(v => read.has(v)) && owned().size === 6 &&
      members.reduce((n, m) => n + m.assigned.length, 0) === 6, 60000)
    const crashed = members.map(m => m.crashed).filter(c => c)
    return {
      pass: ok2 && read.size === 900 && crashed.length === 0,
      produced: acked,
      consumed: read.size,
      detail: `assignments ${shape1} then ${shape()} after one left${crashed.length ? ', crashed: ' + crashed[0] : ''}`
    }
  } finally {
    await Promise.all(members.map(m => m.consumer.disconnect()))
  }
}

async function commitLag () {
  const t = topic('commit-lag')
  const groupId = `${PREFIX}.lag-group`
  const acked = await produce(t, values('commit-lag', 0, RECORDS), { partitionOf: i => i % 3 })
  const perPartition = [0, 0, 0]
  let consumed = 0
  const m = member(groupId, t, new Set(), { autoCommit: false })
  try {
    await m.start(async ({ partition }) => { consumed++; perPartition[partition]++ })
    await waitUntil(() => perPartition.every(n => n >= 60), DEADLINE_MS)
    await m.consumer.commitOffsets([0, 1, 2].map(partition => ({ topic: t, partition, offset: '60' })))
  } finally {
    await m.consumer.disconnect()
  }
  const admin = kafka.admin()
  await admin.connect()
  try {
    const committed = {}
    for (const p of (await admin.fetchOffsets({ groupId, topics: [t] }))[0].partitions) committed[p.partition] = Number(p.offset)
    const ends = {}
    for (const p of await admin.fetchTopicOffsets(t)) ends[p.partition] = Number(p.high)
    const lag = [0, 1, 2].reduce((n, p) => n + ends[p] - committed[p], 0)
    return {
      pass: acked === RECORDS && lag === 120 && [0, 1, 2].every(p => committed[p] === 60 && ends[p] === 100),
      produced: acked,
      consumed,
      detail: `lag ${lag} (want 120): committed ${JSON.stringify(committed)}, end offsets ${JSON.stringify(ends)}`
    }
  } finally {
    await admin.disconnect()
  }
}

async function adminTopics () {
  const name = `${PREFIX}.admin`
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true, timeout: DEADLINE_MS })
    let leaders = false
    const end = Date.now() + DEADLINE_MS
    while (!leaders && Date.now() < end) {
      try {
        const parts = (await admin.fetchTopicMetadata({ topics: [name] })).topics[0].partitions
        leaders = parts.length === 3 && parts.every(p => p.leader >= 0 && p.replicas.length === 3)
      } catch (e) {
        process.stderr.write(`describe ${name}: ${e}\n`)
      }
      if (!leaders) await sleep(200)
    }
    const listed = (await admin.listTopics()).includes(name)
    await admin.deleteTopics({ topics: [name], timeout: DEADLINE_MS })
    let gone = false
    const end2 = Date.now() + DEADLINE_MS
    while (!gone && Date.now() < end2) {
      gone = !(await admin.listTopics()).includes(name)
      if (!gone) await sleep(200)
    }
    return { pass: leaders && listed && gone, produced: 0, consumed: 0, detail: `described with leaders=${leaders}, listed=${listed}, gone after delete=${gone}` }
  } finally {
    await admin.disconnect()
  }
}

/** Each partition's end offset (the high watermark). */
async function endOffsets (t) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const ends = {}
    for (const p of await admin.fetchTopicOffsets(t)) ends[p.partition] = Number(p.high)
    return ends
  } finally {
    await admin.disconnect()
  }
}

const atEnd = (reached, ends) => Object.keys(ends).every(p => (reached[p] || 0) >= ends[p])

/**
 * t read from the beginning by a member of a new group, read_committed unless readUncommitted,
 * until expected is read and the member has processed every partition to its end:
 * { records (duplicates counted), read (the distinct values) }.
 */
async function readBack (t, expected, readUncommitted) {
  const ends = await endOffsets(t)
  const read = new Set()
  let records = 0
  const m = member(`${PREFIX}.reader.${readUncommitted ? 'uncommitted' : 'committed'}.${t}`, t, read, { readUncommitted })
  try {
    await m.start(async ({ message }) => { records++; read.add(message.value.toString()) })
    await waitUntil(() => [...expected].every(v => read.has(v)) && atEnd(m.reached, ends), DEADLINE_MS)
    await sleep(500) // anything beyond what was expected
  } finally {
    await m.consumer.disconnect()
  }
  return { records, read }
}

function transactionalProducer (transactionalId) {
  return kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, transactionTimeout: 60000 })
}

/**
 * A transaction of RECORDS records spread over the 3 partitions is committed, a second one of 100
 * (acknowledged: in the log) aborted; a read_committed member reads exactly the committed records.
 */
async function transactions () {
  const t = topic('transactions')
  const committed = values('transactions', 0, RECORDS)
  const aborted = values('transactions-aborted', 0, 100)
  const messages = vals => vals.map((v, i) => ({ key: `k-${i}`, value: v, partition: i % 3 }))
  const producer = transactionalProducer(`${PREFIX}.txn`)
  await producer.connect()
  let acked = 0
  let abortedWritten = 0
  try {
    const first = await producer.transaction()
    await first.send({ topic: t, acks: -1, timeout: DEADLINE_MS, messages: messages(committed) })
    await first.commit()
    acked = committed.length
    const second = await producer.transaction()
    await second.send({ topic: t, acks: -1, timeout: DEADLINE_MS, messages: messages(aborted) })
    abortedWritten = aborted.length
    await second.abort()
  } finally {
    await producer.disconnect()
  }
  const { records, read } = await readBack(t, new Set(committed), false)
  const uncommitted = await readBack(t, new Set([...committed, ...aborted]), true)
  const missing = committed.filter(v => !read.has(v)).length
  const abortedRead = aborted.filter(v => read.has(v)).length
  return {
    pass: acked === RECORDS && abortedWritten === aborted.length && missing === 0 && abortedRead === 0 && records === RECORDS && read.size === RECORDS,
    produced: acked,
    consumed: read.size,
    detail: `committed ${acked}/${RECORDS} acknowledged, aborted ${abortedWritten}/${aborted.length} written then aborted; ` +
      `read_committed read ${records} records: missing ${missing}, aborted ${abortedRead} (want 0), duplicates ${records - read.size} (want 0); ` +
      `read_uncommitted read ${uncommitted.read.size} distinct (the aborted ones too)`
  }
}

/**
 * Consume-transform-produce: a group member (read_committed) copies the committed records of
 * transactions to this scenario's topic, a transaction per batch with the offset after the batch
 * sent to it (sendOffsets); batches that held only aborted records or markers reach no eachBatch,
 * so their offsets go in a last transaction of offsets only. Then a read_committed read of the copy
 * has each record exactly once, and the group's committed offsets are the input's end offsets.
 */
async function transactionalCopy () {
  const source = topic('transactions')
  const t = topic('transactional-copy')
  const groupId = `${PREFIX}.copy-group`
  const expected = values('transactions', 0, RECORDS)
  const ends = await endOffsets(source)
  const producer = transactionalProducer(`${PREFIX}.copy-txn`)
  await producer.connect()
  let copied = 0
  let transactions = 0
  let busy = false
  const sent = {}
  const inTransaction = async (messages, offsets) => {
    const txn = await producer.transaction()
    try {
      if (messages.length) await txn.send({ topic: t, acks: -1, timeout: DEADLINE_MS, messages })
      await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: source, partitions: Object.entries(offsets).map(([partition, offset]) => ({ partition: Number(partition), offset: String(offset) })) }] })
      await txn.commit()
    } catch (e) {
      await txn.abort().catch(() => {})
      throw e
    }
    transactions++
    Object.assign(sent, offsets)
  }
  const m = member(groupId, source, new Set(), { autoCommit: false })
  try {
    await m.start(null, async ({ batch }) => {
      busy = true
      try {
        const next = Number(batch.lastOffset()) + 1
        await inTransaction(batch.messages.map(msg => ({ key: msg.key, value: msg.value, partition: batch.partition })), { [batch.partition]: next })
        copied += batch.messages.length
      } finally {
        busy = false
      }
    })
    await waitUntil(() => copied >= RECORDS && atEnd(m.reached, ends) && !busy, 60000)
    const behind = {}
    for (const p of Object.keys(ends)) if ((sent[p] || 0) < (m.reached[p] || 0)) behind[p] = m.reached[p]
    if (Object.keys(behind).length && !busy) await inTransaction([], behind)
  } finally {
    await m.consumer.disconnect()
    await producer.disconnect()
  }
  const { records, read } = await readBack(t, new Set(expected), false)
  const missing = expected.filter(v => !read.has(v)).length
  const unexpected = [...read].filter(v => !expected.includes(v)).length
  const admin = kafka.admin()
  await admin.connect()
  const committed = {}
  let offsetsAtEnd = false
  try {
    // The offsets become the group's once the commit markers are written: wait for them.
    const end = Date.now() + DEADLINE_MS
    while (!offsetsAtEnd && Date.now() < end) {
      for (const p of (await admin.fetchOffsets({ groupId, topics: [source] }))[0].partitions) committed[p.partition] = Number(p.offset)
      offsetsAtEnd = Object.keys(ends).every(p => committed[p] === ends[p])
      if (!offsetsAtEnd) await sleep(200)
    }
  } finally {
    await admin.disconnect()
  }
  return {
    pass: copied === RECORDS && missing === 0 && unexpected === 0 && records === RECORDS && offsetsAtEnd,
    produced: copied,
    consumed: read.size,
    detail: `copied ${copied} in ${transactions} transactions; read_committed read of the copy: ${records} records, missing ${missing}, ` +
      `unexpected ${unexpected}, duplicates ${records - read.size}; group offsets at the input's end ${offsetsAtEnd}: ` +
      `committed ${JSON.stringify(committed)}, end offsets ${JSON.stringify(ends)}`
  }
}

async function main () {
  await report('produce-acks0', produceScenario('produce-acks0', { acks: 0 }, 'acks=0'))
  await report('produce-acks1', produceScenario('produce-acks1', { acks: 1 }, 'acks=1'))
  await report('produce-acksall', produceScenario('produce-acksall', { acks: -1 }, 'acks=all'))
  await report('produce-idempotent', produceScenario('produce-idempotent', { acks: -1, idempotent: true }, 'acks=all idempotent'))
  await report('produce-gzip', produceScenario('produce-gzip', { compression: CompressionTypes.GZIP }, 'gzip'))
  await report('produce-snappy', produceScenario('produce-snappy', { compression: CompressionTypes.Snappy }, 'snappy'))
  await report('consume-earliest', consumeEarliest)
  await report('consume-latest', consumeLatest)
  await report('group-rebalance', groupRebalance)
  await report('commit-lag', commitLag)
  await report('admin-topics', adminTopics)
  await report('transactions', transactions)
  await report('transactional-copy', transactionalCopy)
}

main().then(() => process.exit(0), e => { process.stderr.write(`driver failed: ${e.stack}\n`); process.exit(1) })
