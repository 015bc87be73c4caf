// The Runnel console: a small single-page app on the gateway's own JSON API, with no build step.
// Every page has a form part, drawn once, and a live part, redrawn every two seconds.
'use strict';

const REFRESH_MS = 2000;
let me = { name: '', role: 'READ' };
let timer = null;
let shown = 0; // which page drawing a refresh belongs to: a late answer for an earlier page is dropped
let lastOverview = null;

// ---- DOM and HTTP helpers -------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function csrfToken() {
  const m = document.cookie.match(/(?:^|; )XSRF-TOKEN=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : null;
}

async function api(method, path, body, contentType) {
  const headers = { 'Accept': 'application/json', 'X-Requested-With': 'XMLHttpRequest' };
  if (body !== undefined) headers['Content-Type'] = contentType || 'application/json';
  if (method !== 'GET' && csrfToken()) headers['X-XSRF-TOKEN'] = csrfToken();
  const response = await fetch(path, { method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)) });
  if (response.status === 401) { location.href = 'login'; throw new Error('signed out'); }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  if (!response.ok) {
    const detail = data && data.detail ? data.detail : (data && data.message) || response.statusText;
    throw new Error(response.status + ': ' + detail);
  }
  return data;
}

function toast(message, error) {
  const item = h('div', { class: error ? 'error' : '' }, message);
  document.getElementById('toast').append(item);
  setTimeout(() => item.remove(), error ? 8000 : 4000);
}

function isAdmin() { return me.role === 'ADMIN'; }
function num(n) { return n === null || n === undefined ? '–' : Number(n).toLocaleString('en'); }
function badge(text, kind) { return h('span', { class: 'badge ' + (kind || '') }, text); }
function card(k, v, bad) { return h('div', { class: 'card' + (bad ? ' bad' : '') }, h('div', { class: 'v' }, v), h('div', { class: 'k' }, k)); }
function table(id, headers, rows) {
  return h('table', { id }, h('thead', {}, h('tr', {}, headers.map(x => h('th', { class: x.startsWith('#') ? 'num' : '' }, x.replace(/^#/, ''))))),
    h('tbody', {}, rows));
}
function field(label, input) { return h('label', {}, label, input); }
function parsePairs(text) {
  const out = {};
  for (const line of (text || '').split('\n').map(l => l.trim()).filter(Boolean)) {
    const i = line.indexOf('=');
    if (i <= 0) throw new Error('"' + line + '" is not name=value');
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}
function replace(id, node) { const old = document.getElementById(id); if (old) old.replaceWith(node); }
function b64utf8(s) { return btoa(String.fromCharCode(...new TextEncoder().encode(s))); }

// ---- pages ---------------------------------------------------------------------------------

const pages = {
  overview: {
    draw() { return [h('h2', {}, 'Cluster overview'), h('div', { id: 'overview-live' }, 'Loading…')]; },
    async refresh(_, isCurrent = () => true) {
      const o = await api('GET', 'cluster');
      let rate = '–';
      if (lastOverview && o.at > lastOverview.at) {
        rate = num(Math.max(0, Math.round((o.endOffsetTotal - lastOverview.endOffsetTotal) * 1000 / (o.at - lastOverview.at))));
      }
      lastOverview = o;
      const online = o.brokers.filter(b => b.status === 'online').length;
      const c = o.controller;
      if (isCurrent()) replace('overview-live', h('div', { id: 'overview-live' },
        h('div', { class: 'cards' },
          card('brokers online', online + ' / ' + o.brokers.length, online < o.brokers.length),
          card('active controller', c.activeId === null ? 'none' : '#' + c.activeId, c.activeId === null),
          card('topics', num(o.topicCount)), card('partitions', num(o.partitionCount)),
          card('under-replicated', num(o.underReplicatedPartitions), o.underReplicatedPartitions > 0),
          card('offline partitions', num(o.offlinePartitions), o.offlinePartitions > 0),
          card('records / s', rate)),
        h('h3', {}, 'Brokers'),
        table('brokers-table', ['Broker', 'Address', 'Rack', 'Status', '#Leaderships', '#Replicas'], o.brokers.map(b =>
          h('tr', {}, h('td', {}, '#' + b.id), h('td', {}, b.host ? b.host + ':' + b.port : '–'), h('td', {}, b.rack || '–'),
            h('td', {}, badge(b.status, b.status === 'online' ? 'ok' : 'bad')),
            h('td', { class: 'num' }, num(b.leaderships)), h('td', { class: 'num' }, num(b.replicas))))),
        h('h3', {}, 'Controllers'),
        h('p', {}, c.activeId === null ? 'No active controller (an election may be under way).'
          : 'Active: controller #' + c.activeId + ' at ' + c.activeUrl + ', epoch ' + c.epoch + '. ',
          h('span', { class: 'muted' }, 'Registered: ' + (c.registered.join(', ') || 'none')))));
    }
  },

  topics: {
    draw() {
      const form = h('form', { class: 'panel', id: 'create-topic-form', onsubmit: createTopic },
        field('Name', h('input', { id: 'create-topic-name', required: true, pattern: '[a-zA-Z0-9._-]+', maxlength: 249 })),
        field('Partitions', h('input', { id: 'create-topic-partitions', type: 'number', min: 1, value: 3 })),
        field('Replication factor', h('input', { id: 'create-topic-rf', type: 'number', min: 1, value: 1 })),
        field('Configs (name=value per line)', h('textarea', { id: 'create-topic-configs', placeholder: 'retention.ms=86400000' })),
        h('button', { id: 'create-topic-submit', type: 'submit', disabled: !isAdmin() }, 'Create topic'),
        isAdmin() ? null : h('span', { class: 'muted' }, 'Creating topics needs the ADMIN role.'));
      return [h('h2', {}, 'Topics'), form, h('div', { id: 'topics-live' }, 'Loading…')];
    },
    async refresh(_, isCurrent = () => true) {
      const o = await api('GET', 'cluster');
      if (isCurrent()) replace('topics-live', h('div', { id: 'topics-live' }, table('topics-table',
        ['Topic', '#Partitions', '#Replication', 'Health', '#Records'], o.topics.map(t =>
          h('tr', { 'data-topic': t.name }, h('td', {}, h('a', { href: '#/topics/' + encodeURIComponent(t.name) }, t.name),
            t.internal ? ' ' : null, t.internal ? badge('internal') : null),
            h('td', { class: 'num' }, t.partitions), h('td', { class: 'num' }, t.replicationFactor),
            h('td', {}, t.offline > 0 ? badge(t.offline + ' offline', 'bad') : t.underReplicated > 0
              ? badge(t.underReplicated + ' under-replicated', 'warn') : badge('healthy', 'ok')),
            h('td', { class: 'num' }, num(t.records)))))));
    }
  },

  topic: {
    draw(name) {
      const configForm = h('form', { class: 'panel', id: 'config-form', onsubmit: e => alterConfigs(e, name) },
        field('Set configs (name=value per line)', h('textarea', { id: 'config-set' })),
        field('Remove overrides (names, comma-separated)', h('input', { id: 'config-delete' })),
        h('button', { type: 'submit', disabled: !isAdmin() }, 'Apply'),
        h('button', { type: 'button', class: 'danger', id: 'delete-topic', disabled: !isAdmin(), onclick: () => deleteTopic(name) }, 'Delete topic'));
      return [h('h2', {}, 'Topic ', h('code', {}, name)),
        h('p', {}, h('a', { href: '#/messages?topic=' + encodeURIComponent(name) }, 'Browse messages'), ' · ',
          h('span', { class: 'muted' }, 'Replicas: leader filled, in sync green, lagging (out of the ISR) red.')),
        h('div', { id: 'topic-live' }, 'Loading…'), h('h3', {}, 'Change'), configForm];
    },
    async refresh(name, isCurrent = () => true) {
      const [t, info] = await Promise.all([api('GET', 'topics/' + encodeURIComponent(name)),
        api('GET', 'api/v1/topics/' + encodeURIComponent(name))]);
      const configs = Object.entries(info.configs || {}).sort();
      if (isCurrent()) replace('topic-live', h('div', { id: 'topic-live' },
        table('partitions-table', ['Partition', 'Leader', 'Replicas', '#Start offset', '#End offset'], t.partitions.map(p =>
          h('tr', {}, h('td', {}, p.partition), h('td', {}, p.leader === null ? badge('offline', 'bad') : '#' + p.leader),
            h('td', {}, p.replicas.map(r => h('span', {
              class: 'replica' + (r === p.leader ? ' leader' : '') + (p.isr.includes(r) ? '' : ' lagging'),
              title: r === p.leader ? 'leader' : p.isr.includes(r) ? 'in sync' : 'not in the ISR' }, r))),
            h('td', { class: 'num' }, num(p.beginningOffset)), h('td', { class: 'num' }, num(p.endOffset))))),
        h('h3', {}, 'Config overrides'),
        configs.length === 0 ? h('p', { class: 'muted' }, 'None: the cluster defaults apply.')
          : table('configs-table', ['Name', 'Value'], configs.map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, v))))));
    }
  },

  messages: {
    draw(_, params) {
      const topic = params.get('topic') || '';
      const browse = h('form', { class: 'panel', id: 'browse-form', onsubmit: e => { e.preventDefault(); pages.messages.refresh(); } },
        field('Topic', h('input', { id: 'browse-topic', value: topic, required: true })),
        field('Partition', h('input', { id: 'browse-partition', type: 'number', min: 0, value: params.get('partition') || 0 })),
        field('From', h('select', { id: 'browse-from' }, h('option', { value: 'latest' }, 'the latest records'),
          h('option', { value: 'offset' }, 'offset'), h('option', { value: 'timestamp' }, 'time'))),
        field('Offset', h('input', { id: 'browse-offset', type: 'number', min: 0 })),
        field('Time', h('input', { id: 'browse-time', type: 'datetime-local', step: 1 })),
        field('Limit', h('input', { id: 'browse-limit', type: 'number', min: 1, max: 500, value: 50 })),
        h('button', { id: 'browse-submit', type: 'submit' }, 'Show'));
      const produce = h('form', { class: 'panel', id: 'produce-form', onsubmit: produceRecord },
        field('Topic', h('input', { id: 'produce-topic', value: topic, required: true })),
        field('Partition (optional)', h('input', { id: 'produce-partition', type: 'number', min: 0 })),
        field('Key', h('input', { id: 'produce-key' })),
        field('Value', h('textarea', { id: 'produce-value', placeholder: '{"id": 1}' })),
        field('Headers (name=value per line)', h('textarea', { id: 'produce-headers' })),
        h('button', { id: 'produce-submit', type: 'submit', disabled: !isAdmin() }, 'Produce'),
        h('span', { id: 'produce-result', class: 'muted' }, isAdmin() ? '' : 'Producing needs the ADMIN role.'));
      return [h('h2', {}, 'Messages'), browse, h('div', { id: 'messages-live' }, topic ? 'Loading…' : 'Choose a topic.'),
        h('h3', {}, 'Produce a record'), produce];
    },
    async refresh(_, isCurrent = () => true) {
      const topic = document.getElementById('browse-topic').value.trim();
      if (!topic) return;
      const partition = document.getElementById('browse-partition').value || 0;
      const from = document.getElementById('browse-from').value;
      let query = 'limit=' + encodeURIComponent(document.getElementById('browse-limit').value || 50);
      if (from === 'offset') query += '&offset=' + encodeURIComponent(document.getElementById('browse-offset').value || 0);
      if (from === 'timestamp') query += '&timestamp=' + new Date(document.getElementById('browse-time').value).getTime();
      const page = await api('GET', 'topics/' + encodeURIComponent(topic) + '/partitions/' + encodeURIComponent(partition) + '/records?' + query);
      if (isCurrent()) replace('messages-live', h('div', { id: 'messages-live' },
        h('p', { class: 'muted' }, 'Partition ' + page.partition + ': offsets ' + num(page.beginningOffset) + ' to ' + num(page.endOffset)
          + ', showing ' + page.records.length + ' from ' + num(page.from) + '.'),
        table('records-table', ['#Offset', 'Time', 'Key', 'Value', 'Headers'], page.records.map(r =>
          h('tr', { 'data-offset': r.offset }, h('td', { class: 'num' }, r.offset), h('td', {}, new Date(r.timestamp).toISOString()),
            h('td', {}, show(r.key)), h('td', { class: 'value' }, show(r.value, true)),
            h('td', {}, r.headers.map(x => h('div', {}, x.key + ': ', show(x.value)))))))));
    }
  },

  groups: {
    draw() { return [h('h2', {}, 'Consumer groups'), h('div', { id: 'groups-live' }, 'Loading…')]; },
    async refresh(_, isCurrent = () => true) {
      const groups = await api('GET', 'consumer-groups');
      if (isCurrent()) replace('groups-live', h('div', { id: 'groups-live' }, groups.length === 0 ? h('p', { class: 'muted' }, 'No groups yet.')
        : table('groups-table', ['Group', 'State', 'Type'], groups.map(g => h('tr', { 'data-group': g.groupId },
          h('td', {}, h('a', { href: '#/groups/' + encodeURIComponent(g.groupId) }, g.groupId)),
          h('td', {}, badge(g.state, g.state === 'Stable' ? 'ok' : g.state === 'Empty' ? '' : 'warn')), h('td', {}, g.type))))));
    }
  },

  group: {
    draw(id) {
      const reset = h('form', { class: 'panel', id: 'reset-form', onsubmit: e => resetOffsets(e, id) },
        field('Topic', h('input', { id: 'reset-topic', required: true })),
        field('To', h('select', { id: 'reset-to' }, ['earliest', 'latest', 'offset', 'timestamp'].map(v => h('option', { value: v }, v)))),
        field('Offset', h('input', { id: 'reset-offset', type: 'number', min: 0 })),
        field('Time', h('input', { id: 'reset-time', type: 'datetime-local', step: 1 })),
        h('button', { id: 'reset-submit', type: 'submit', disabled: !isAdmin() }, 'Reset offsets'),
        h('span', { class: 'muted' }, 'Only a group with no members can be reset.'));
      return [h('h2', {}, 'Consumer group ', h('code', {}, id)), h('div', { id: 'group-live' }, 'Loading…'),
        h('h3', {}, 'Reset offsets'), reset];
    },
    async refresh(id, isCurrent = () => true) {
      const g = await api('GET', 'consumer-groups/' + encodeURIComponent(id));
      if (isCurrent()) replace('group-live', h('div', { id: 'group-live' },
        h('div', { class: 'cards' }, card('state', g.state), card('members', g.members.length),
          card('coordinator', g.coordinator === null ? '–' : '#' + g.coordinator),
          h('div', { class: 'card' + (g.totalLag > 0 ? ' bad' : '') }, h('div', { class: 'v', id: 'group-total-lag' }, num(g.totalLag)),
            h('div', { class: 'k' }, 'total lag'))),
        h('h3', {}, 'Members'),
        g.members.length === 0 ? h('p', { class: 'muted' }, 'No members.') : table('members-table', ['Member', 'Client', 'Host', 'Partitions'],
          g.members.map(m => h('tr', {}, h('td', {}, m.memberId), h('td', {}, m.clientId), h('td', {}, m.host), h('td', {}, m.partitions.join(', '))))),
        h('h3', {}, 'Lag per partition'),
        table('lag-table', ['Topic', 'Partition', '#Committed', '#End', '#Lag'], g.offsets.map(o => h('tr', {},
          h('td', {}, o.topic), h('td', {}, o.partition), h('td', { class: 'num' }, num(o.committedOffset)),
          h('td', { class: 'num' }, num(o.endOffset)), h('td', { class: 'num lag' }, num(o.lag)))))));
    }
  }
};

function show(data, pretty) {
  if (data === null || data === undefined) return h('span', { class: 'muted' }, 'null');
  if (data.encoding === 'base64') return h('span', {}, badge('base64'), ' ', data.data);
  if (pretty) {
    try { return h('pre', {}, JSON.stringify(JSON.parse(data.data), null, 2)); } catch (e) { /* not JSON */ }
  }
  return pretty ? h('pre', {}, data.data) : h('code', {}, data.data);
}

// ---- rebalance: plan a drain or a balance on the controller, show it, execute it -------------

let lastPlan = null;

pages.rebalance = {
  draw() {
    const form = h('form', { class: 'panel', id: 'rebalance-form', onsubmit: planRebalance },
      field('Action', h('select', { id: 'rebalance-action' },
        h('option', { value: 'balance' }, 'Balance replicas and leaders'), h('option', { value: 'drain' }, 'Drain brokers'))),
      field('Brokers to drain (ids, comma-separated)', h('input', { id: 'rebalance-brokers', placeholder: '1' })),
      field('Throttle (bytes/s, empty: none)', h('input', { id: 'rebalance-throttle', type: 'number', min: 1 })),
      h('button', { id: 'rebalance-plan', type: 'submit', disabled: !isAdmin() }, 'Plan'),
      h('button', { id: 'rebalance-execute', type: 'button', disabled: true, onclick: executeRebalance }, 'Execute plan'),
      h('button', { id: 'rebalance-verify', type: 'button', disabled: !isAdmin(), onclick: verifyRebalance },
        'Clear throttles when done'),
      isAdmin() ? null : h('span', { class: 'muted' }, 'Planning and executing need the ADMIN role.'));
    return [h('h2', {}, 'Drain and rebalance'), form, h('div', { id: 'rebalance-plan-view' }),
      h('h3', {}, 'Moves under way'), h('div', { id: 'rebalance-live' }, 'Loading…')];
  },
  async refresh(_, isCurrent = () => true) {
    const ongoing = await api('GET', 'api/v1/reassignments');
    if (isCurrent()) replace('rebalance-live', h('div', { id: 'rebalance-live' }, ongoing.length === 0
      ? h('p', { class: 'muted' }, 'None.')
      : table('reassignments-table', ['Partition', 'Replicas', 'Adding', 'Removing'], ongoing.map(r =>
        h('tr', {}, h('td', {}, r.topic + '-' + r.partition), h('td', {}, r.replicas.join(', ')),
          h('td', {}, r.addingReplicas.join(', ')), h('td', {}, r.removingReplicas.join(', ')))))));
  }
};

function rebalanceRequest() {
  const action = document.getElementById('rebalance-action').value;
  const body = { action };
  if (action === 'drain') {
    body.brokers = document.getElementById('rebalance-brokers').value.split(',').map(s => s.trim()).filter(Boolean).map(Number);
  }
  return body;
}

function drawPlan(plan) {
  const after = new Map(plan.after.map(l => [l.broker, l]));
  replace('rebalance-plan-view', h('div', { id: 'rebalance-plan-view' },
    h('p', {}, plan.moves.length + ' partition' + (plan.moves.length === 1 ? '' : 's') + ' to move.'),
    table('rebalance-brokers-table', ['Broker', '#Replicas before', '#Replicas after', '#Leaders before', '#Leaders after'],
      plan.before.map(b => h('tr', {}, h('td', {}, '#' + b.broker), h('td', { class: 'num' }, b.replicas),
        h('td', { class: 'num' }, after.get(b.broker).replicas), h('td', { class: 'num' }, b.preferredLeaders),
        h('td', { class: 'num' }, after.get(b.broker).preferredLeaders)))),
    table('rebalance-moves-table', ['Partition', 'From', 'To'], plan.moves.map(m =>
      h('tr', {}, h('td', {}, m.topic + '-' + m.partition), h('td', {}, m.from.join(', ')), h('td', {}, m.to.join(', ')))))));
}

async function planRebalance(e) {
  e.preventDefault();
  try {
    lastPlan = await api('POST', 'api/v1/rebalance/plan', rebalanceRequest());
    drawPlan(lastPlan);
    document.getElementById('rebalance-execute').disabled = !isAdmin() || lastPlan.moves.length === 0;
  } catch (err) { toast(err.message, true); }
}

async function executeRebalance() {
  if (!lastPlan || !confirm('Move ' + lastPlan.moves.length + ' partitions?')) return;
  try {
    const body = { plan: lastPlan };
    const throttle = document.getElementById('rebalance-throttle').value;
    if (throttle !== '') body.throttle = Number(throttle);
    const answer = await api('POST', 'api/v1/rebalance/execute', body);
    toast('Started ' + answer.progress.length + ' moves' + (answer.throttle ? ' under ' + num(answer.throttle) + ' B/s' : ''));
    document.getElementById('rebalance-execute').disabled = true;
    refresh();
  } catch (err) { toast(err.message, true); }
}

async function verifyRebalance() {
  try {
    const answer = await api('POST', 'api/v1/rebalance/verify');
    toast(answer.throttlesCleared ? 'Every move is done; throttles cleared'
      : answer.ongoing.length + ' moves still under way; throttles kept', !answer.throttlesCleared);
  } catch (err) { toast(err.message, true); }
}

// ---- actions --------------------------------------------------------------------------------

async function createTopic(e) {
  e.preventDefault();
  try {
    const body = { name: document.getElementById('create-topic-name').value.trim(),
      partitions: Number(document.getElementById('create-topic-partitions').value),
      replicationFactor: Number(document.getElementById('create-topic-rf').value),
      configs: parsePairs(document.getElementById('create-topic-configs').value) };
    await api('POST', 'api/v1/topics', body);
    toast('Created topic ' + body.name);
    document.getElementById('create-topic-name').value = '';
    refresh();
  } catch (err) { toast(err.message, true); }
}

async function alterConfigs(e, name) {
  e.preventDefault();
  try {
    const del = document.getElementById('config-delete').value.split(',').map(s => s.trim()).filter(Boolean);
    await api('PATCH', 'api/v1/topics/' + encodeURIComponent(name) + '/configs',
      { set: parsePairs(document.getElementById('config-set').value), delete: del });
    toast('Configs of ' + name + ' changed');
    refresh();
  } catch (err) { toast(err.message, true); }
}

async function deleteTopic(name) {
  if (!confirm('Delete topic ' + name + ' and all its records?')) return;
  try {
    await api('DELETE', 'api/v1/topics/' + encodeURIComponent(name));
    toast('Deleted topic ' + name);
    location.hash = '#/topics';
  } catch (err) { toast(err.message, true); }
}

async function produceRecord(e) {
  e.preventDefault();
  const result = document.getElementById('produce-result');
  try {
    const topic = document.getElementById('produce-topic').value.trim();
    const record = { value: document.getElementById('produce-value').value };
    const key = document.getElementById('produce-key').value;
    if (key) record.key = key;
    const partition = document.getElementById('produce-partition').value;
    if (partition !== '') record.partition = Number(partition);
    const headers = Object.entries(parsePairs(document.getElementById('produce-headers').value));
    if (headers.length) record.headers = headers.map(([k, v]) => ({ key: k, value: b64utf8(v) }));
    const answer = await api('POST', 'topics/' + encodeURIComponent(topic), { records: [record] }, 'application/vnd.kafka.text.v2+json');
    const o = answer.offsets[0];
    if (o.error) throw new Error(o.message || o.error);
    result.textContent = 'Written to partition ' + o.partition + ' at offset ' + o.offset + '.';
    toast('Produced to ' + topic + '-' + o.partition + ' @ ' + o.offset);
  } catch (err) { result.textContent = err.message; toast(err.message, true); }
}

async function resetOffsets(e, id) {
  e.preventDefault();
  try {
    const to = document.getElementById('reset-to').value;
    const body = { topic: document.getElementById('reset-topic').value.trim(), to };
    if (to === 'offset') body.offset = Number(document.getElementById('reset-offset').value);
    if (to === 'timestamp') body.timestamp = new Date(document.getElementById('reset-time').value).getTime();
    const offsets = await api('POST', 'consumer-groups/' + encodeURIComponent(id) + '/offsets/reset', body);
    toast('Reset ' + offsets.length + ' partitions of ' + body.topic);
    refresh();
  } catch (err) { toast(err.message, true); }
}

// ---- routing and live updates ---------------------------------------------------------------

function route() {
  const [path, query] = (location.hash.replace(/^#/, '') || '/').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || '');
  if (parts[0] === 'topics' && parts[1]) return ['topic', parts[1], params];
  if (parts[0] === 'groups' && parts[1]) return ['group', parts[1], params];
  if (parts[0] === 'topics') return ['topics', null, params];
  if (parts[0] === 'messages') return ['messages', null, params];
  if (parts[0] === 'groups') return ['groups', null, params];
  if (parts[0] === 'rebalance') return ['rebalance', null, params];
  return ['overview', null, params];
}

async function refresh() {
  const [name, arg] = route();
  const live = document.getElementById('live');
  const drawing = shown;
  try {
    await pages[name].refresh(arg, () => drawing === shown);
    live.className = '';
    live.textContent = 'live ' + new Date().toLocaleTimeString();
  } catch (err) {
    live.className = 'stale';
    live.textContent = 'not updating';
    const target = document.querySelector('[id$="-live"]:not(#live)');
    if (target && target.textContent === 'Loading…') target.textContent = err.message;
  }
}

function show_page() {
  const [name, arg, params] = route();
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.id === 'nav-' + (name === 'topic' ? 'topics' : name === 'group' ? 'groups' : name));
  }
  const page = document.getElementById('page');
  page.replaceChildren(...pages[name].draw(arg, params));
  shown++;
  clearTimeout(timer);
  live_loop(shown);
}

// The next refresh starts only when the last one has ended, so slow answers never pile up.
async function live_loop(drawing) {
  await refresh();
  if (drawing === shown) timer = setTimeout(() => live_loop(drawing), REFRESH_MS);
}

async function start() {
  try { me = await api('GET', 'me'); } catch (e) { /* sent to the login page */ }
  document.getElementById('who').textContent = me.name + ' (' + me.role.toLowerCase() + ')';
  const logout = document.getElementById('logout');
  logout.hidden = !me.securityEnabled;
  logout.addEventListener('click', async () => {
    await fetch('logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-XSRF-TOKEN': csrfToken() || '' } });
    location.href = 'login?logout';
  });
  window.addEventListener('hashchange', show_page);
  show_page();
}

start();
