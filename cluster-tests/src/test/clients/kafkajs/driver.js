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
function member (group, t, read, { fromBeginning = true, onJoin, autoCommit = true } = {}) {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 })
  const state = { consumer, assigned: [], fetched: 0, crashed: null }
  consumer.on(consumer.events.GROUP_JOIN, e => {
    state.assigned = (e.payload.memberAssignment[t] || []).slice()
    if (onJoin) onJoin(state.assigned)
  })
  consumer.on(consumer.events.FETCH, () => { state.fetched++ })
  consumer.on(consumer.events.CRASH, e => { state.crashed = String(e.payload.error) })
  state.start = async (eachMessage) => {
    await consumer.connect()
    await consumer.subscribe({ topics: [t], fromBeginning })
    await consumer.run({
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
}

main().then(() => process.exit(0), e => { process.stderr.write(`driver failed: ${e.stack}\n`); process.exit(1) })
