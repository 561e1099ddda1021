/* The offline outbox: IndexedDB storage and the one sender, shared by pages and the worker.
 *
 * A plain script with no import/export so that both the service worker (importScripts) and
 * the pages (import './sync-core.js') can load it; it puts its API on self.UprightSync.
 *
 * Rules (DESIGN.md: nothing the patient entered is ever lost):
 * - every entry carries its client UUID, so sending it twice saves it once on the server;
 * - entries go oldest first, up to 200 in one request to /api/v1/sync, which answers each one
 *   on its own after committing them all (issue 18);
 * - an entry leaves the outbox only on its own 201/200 in a JSON answer from the API; a
 *   network error (an answer lost on the way too), a 5xx, a 401/403, or a sign-in page
 *   answered instead of JSON keeps it, and the next round sends it again (answered 200);
 * - a 422 or 409 for one entry sets that entry aside, shown to the patient; the others go on;
 * - a fresh CSRF token is fetched before each round, so a phone offline for days still syncs;
 * - entries are sent only into the account that made them (a shared phone stays private);
 * - one sender at a time across tabs and the worker (Web Locks).
 */
(function (scope) {
  'use strict';

  const DB_NAME = 'upright';
  const DB_VERSION = 1;
  const OUTBOX = 'outbox';
  const META = 'meta';
  const APPOINTMENTS = 'appointments';
  const SYNC_TAG = 'upright-outbox';
  const LOCK = 'upright-outbox';
  const CHANNEL = 'upright-sync';
  // Which answers the API takes as whole numbers or as lists, per kind: generated from the
  // records (pwa/records) into record-fields.js, loaded before this file.
  const FIELD_TYPES = scope.UprightRecordFields || {};
  const SKIPPED_FIELDS = new Set(['csrf_token', 'submit']);
  const SYNC_URL = '/api/v1/sync';
  const BATCH = 200; // records per request: the server's limit
  const BATCH_BYTES = 512 * 1024; // well under the server's 1 MB limit on a body
  const SYNC_KINDS = { entries: 'entry', appointments: 'appointment', doses: 'dose' };

  let dbPromise = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore(OUTBOX, { keyPath: 'seq', autoIncrement: true });
          db.createObjectStore(META);
          db.createObjectStore(APPOINTMENTS, { keyPath: 'id' });
        };
        request.onsuccess = () => {
          const db = request.result;
          db.onversionchange = () => { db.close(); dbPromise = null; };
          resolve(db);
        };
        request.onerror = () => { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }

  // One transaction, resolved when it commits (so a deletion is durable before we go on).
  async function tx(stores, mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(stores, mode);
      let result;
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
      const request = work(transaction);
      if (request) request.onsuccess = () => { result = request.result; };
    });
  }

  const getAll = (store) => tx([store], 'readonly', (t) => t.objectStore(store).getAll());
  const getMeta = (key) => tx([META], 'readonly', (t) => t.objectStore(META).get(key));
  const setMeta = (key, value) => tx([META], 'readwrite', (t) => t.objectStore(META).put(value, key));
  const deleteEntry = (seq) => tx([OUTBOX], 'readwrite', (t) => t.objectStore(OUTBOX).delete(seq));
  const deleteEntries = (seqs) => tx([OUTBOX], 'readwrite', (t) => {
    const store = t.objectStore(OUTBOX);
    seqs.forEach((seq) => store.delete(seq));
  });
  const putEntry = (entry) => tx([OUTBOX], 'readwrite', (t) => t.objectStore(OUTBOX).put(entry));
  // One batch's answers written at once: the saved entries go, the refused ones are set aside.
  const settle = (seqs, aside) => tx([OUTBOX], 'readwrite', (t) => {
    const store = t.objectStore(OUTBOX);
    seqs.forEach((seq) => store.delete(seq));
    aside.forEach((entry) => store.put(entry));
  });

  function uuid() {
    if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID();
    const b = scope.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // Form fields -> the API's JSON: the API takes the form's own field names.
  function bodyFromPairs(pairs, listFields, kind) {
    const types = FIELD_TYPES[kind || 'entries'] || { integer: [], list: [] };
    const lists = new Set([...types.list, ...(listFields || [])]);
    const integers = new Set(types.integer);
    const body = {};
    for (const [name, raw] of pairs) {
      if (SKIPPED_FIELDS.has(name)) continue;
      const value = typeof raw === 'string' ? raw.trim() : raw;
      if (lists.has(name)) {
        (body[name] = body[name] || []).push(value);
      } else if (value !== '') {
        body[name] = integers.has(name) && /^-?\d+$/.test(value) ? Number(value) : value;
      }
    }
    return body;
  }

  // An outbox entry as a record of the batch (POST /api/v1/sync): its fields and its kind.
  // `kind` names the record's kind there, so an appointment's own kind is appointment_kind.
  function recordFor(entry) {
    if (entry.kind !== 'appointments') return { ...entry.body, kind: SYNC_KINDS[entry.kind] };
    const { kind, ...fields } = entry.body;
    if (entry.op === 'delete') {
      return { kind: 'appointment', id: fields.id, version: fields.version, cancelled: true };
    }
    return { ...fields, appointment_kind: kind, kind: 'appointment' };
  }

  // The outbox in batches, oldest first: at most BATCH records and about BATCH_BYTES each.
  function batches(entries) {
    const found = [];
    let batch = [];
    let bytes = 0;
    for (const entry of entries) {
      const size = JSON.stringify(entry.body).length + 40;
      if (batch.length && (batch.length >= BATCH || bytes + size > BATCH_BYTES)) {
        found.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(entry);
      bytes += size;
    }
    if (batch.length) found.push(batch);
    return found;
  }

  async function enqueue(kind, body, options) {
    const opts = options || {};
    const entry = {
      kind,
      op: opts.op || (kind === 'appointments' && body.version ? 'update' : 'create'),
      body: { ...body, id: body.id || uuid() },
      owner: (await getMeta('account')) || null,
      created: Date.now(),
      state: 'waiting',
    };
    await putEntry(entry);
    await registerBackgroundSync();
    announce(await status());
    return entry;
  }

  function enqueueFormPairs(kind, pairs, options) {
    return enqueue(kind, bodyFromPairs(pairs, options && options.listFields, kind), options);
  }

  async function registerBackgroundSync() {
    try {
      const registration = scope.registration
        || (scope.navigator.serviceWorker && await scope.navigator.serviceWorker.getRegistration());
      if (registration && registration.sync) await registration.sync.register(SYNC_TAG);
    } catch (error) { /* no Background Sync here: page load, online and focus still send */ }
  }

  // Entries the account now on this phone may see: its own, and those saved with no account.
  // A shared phone shows no one the entries of another account (they wait for their owner).
  async function visibleEntries() {
    const account = (await getMeta('account')) || null;
    return (await getAll(OUTBOX)).filter((e) => !e.owner || e.owner === account);
  }

  async function status(extra) {
    const entries = await visibleEntries();
    return {
      type: 'status',
      waiting: entries.filter((e) => e.state === 'waiting').length,
      problems: entries.filter((e) => e.state !== 'waiting').map((e) => ({
        seq: e.seq, kind: e.kind, date: e.body.date, errors: e.errors || null, state: e.state,
      })),
      ...extra,
    };
  }

  function announce(message) {
    try {
      const channel = new BroadcastChannel(CHANNEL);
      channel.postMessage(message);
      channel.close();
    } catch (error) { /* no BroadcastChannel: this tab still updates itself */ }
    return message;
  }

  function isJson(response) {
    return (response.headers.get('content-type') || '').includes('application/json');
  }

  // A 2xx that is really the API's answer: not a sign-in page reached through a redirect.
  function accepted(response) {
    return response.ok && !response.redirected && response.type !== 'opaqueredirect'
      && (response.status === 204 || isJson(response));
  }

  async function fetchSession() {
    const response = await fetch('/offline/session', {
      credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' },
    });
    if (!response.ok || response.redirected || !isJson(response)) {
      throw new Error(`session check answered ${response.status}`);
    }
    return response.json();
  }

  function send(batch, token) {
    return fetch(SYNC_URL, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': token },
      body: JSON.stringify({ records: batch.map(recordFor) }),
    });
  }

  function withLock(work) {
    const locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request(LOCK, work) : work();
  }

  async function flush(options) {
    const reason = (options && options.reason) || 'manual';
    return withLock(async () => {
      const waiting = (await getAll(OUTBOX)).filter((e) => e.state === 'waiting');
      if (!waiting.length) return announce(await status({ state: 'idle', sent: 0, reason }));
      let session;
      try {
        session = await fetchSession();
      } catch (error) {
        return announce(await status({ state: 'offline', sent: 0, reason }));
      }
      if (!session.signed_in) return announce(await status({ state: 'signed-out', sent: 0, reason }));
      await setMeta('account', session.account);

      let token = session.csrf_token;
      let sent = 0;

      // One batch: 'sent' (each entry answered; the refused ones set aside), or why the round
      // stops. Nothing leaves the outbox before the server has committed it.
      const sendBatch = async (batch) => {
        let response;
        try {
          response = await send(batch, token);
          if (response.status === 400 && isJson(response)) {
            const answer = await response.clone().json();
            if (answer.error === 'csrf') { // token rotated meanwhile: fetch a new one, once
              token = (await fetchSession()).csrf_token;
              response = await send(batch, token);
            }
          }
        } catch (error) {
          return 'offline'; // the answer may be lost after the commit: the retry gets 200s
        }
        if (response.status === 401 || response.status === 403 || response.redirected
            || response.type === 'opaqueredirect' || (response.ok && !isJson(response))) {
          return 'signed-out';
        }
        if (response.status === 413 && batch.length > 1) { // larger than the server takes
          const half = Math.ceil(batch.length / 2);
          const first = await sendBatch(batch.slice(0, half));
          return first === 'sent' ? sendBatch(batch.slice(half)) : first;
        }
        if (response.status === 413) { // one entry too large to send: kept, shown, not blocking
          await settle([], [{ ...batch[0], state: 'rejected', status: 413, errors: { error: 'too_large',
            fields: { body: ['This entry is too large to send. Please shorten its notes.'] } } }]);
          return 'sent';
        }
        let results = null;
        try {
          if (accepted(response)) results = (await response.json()).results;
        } catch (error) { /* kept below */ }
        if (!Array.isArray(results) || results.length !== batch.length) return 'server-error';
        const saved = [];
        const aside = [];
        batch.forEach((entry, n) => {
          const result = results[n] || {};
          if (result.status === 201 || result.status === 200) {
            saved.push(entry.seq);
          } else if (result.status === 409) {
            aside.push({ ...entry, state: 'conflict', status: 409,
                         errors: { error: 'version_conflict', current: result.current || null } });
          } else if (result.status === 422) {
            // Its fields' errors: sending it again will not help. It stays on the phone, set
            // aside and shown to the patient.
            aside.push({ ...entry, state: 'rejected', status: 422,
                         errors: { error: 'validation', fields: result.errors || {} } });
          }
        });
        await settle(saved, aside);
        sent += saved.length;
        return 'sent';
      };

      const mine = waiting.filter((e) => !e.owner || e.owner === session.account);
      let stop = null;
      for (const batch of batches(mine)) {
        const outcome = await sendBatch(batch);
        if (outcome !== 'sent') {
          stop = outcome;
          break;
        }
      }
      const state = stop || 'done';
      return announce(await status({ state, sent, reason }));
    });
  }

  // Upcoming appointments: a copy that lives only on this device, cleared at sign-out, and
  // shown only while the account that fetched it is the one on this phone.
  async function saveAppointments(list, owner) {
    await tx([APPOINTMENTS], 'readwrite', (t) => {
      const store = t.objectStore(APPOINTMENTS);
      store.clear();
      for (const item of list) store.put(item);
    });
    await setMeta('appointmentsSavedAt', Date.now());
    await setMeta('appointmentsOwner', owner || null);
  }

  async function readAppointments() {
    const owner = await getMeta('appointmentsOwner');
    return owner && owner === (await getMeta('account')) ? getAll(APPOINTMENTS) : [];
  }

  // Entries saved by another account than `account` (a shared phone), and their removal.
  async function othersEntries(account) {
    return (await getAll(OUTBOX)).filter((e) => e.owner && e.owner !== account);
  }

  async function discardMany(seqs) {
    await deleteEntries(seqs);
    announce(await status());
  }

  async function forgetDevice() {
    // Sign-out: the appointments copy goes; the outbox stays for its owner's next sign-in.
    await tx([APPOINTMENTS, META], 'readwrite', (t) => {
      t.objectStore(APPOINTMENTS).clear();
      t.objectStore(META).delete('appointmentsSavedAt');
      t.objectStore(META).delete('appointmentsOwner');
      t.objectStore(META).delete('account');
    });
  }

  async function discard(seq) {
    await deleteEntry(seq);
    announce(await status());
  }

  scope.UprightSync = {
    SYNC_TAG, CHANNEL, uuid, bodyFromPairs, enqueue, enqueueFormPairs, flush, status, discard,
    getMeta, setMeta, saveAppointments, outboxEntries: () => getAll(OUTBOX), readAppointments, forgetDevice, accepted,
    visibleEntries, othersEntries, discardMany,
  };
}(self));
