'use strict';
/*
 * Loading and driving the official Amity TypeScript SDK (@amityco/ts-sdk 6.35.3)
 * in Node 20.
 *
 * Two shims must be in place BEFORE the SDK is required; neither is a server
 * problem:
 *  1. The SDK's axios response interceptor does `new Request(response.request.url, …)`
 *     on every 2xx answer. In Node that url is undefined and the WHATWG Request
 *     constructor throws, so every successful call would fail. We replace
 *     globalThis.Request by a subclass that tolerates a missing URL (and keeps
 *     only the method, since axios' headers/body are not valid Request init).
 *  2. The SDK uses mqtt.js's browser bundle, which needs a global WebSocket;
 *     Node 20 has none, so we provide the `ws` package's.
 *
 * Always get the SDK through load() (or the helpers below), never through a
 * bare require('@amityco/ts-sdk').
 */

/*
 * Real-time switch. false: the SDK is created with `rteEnabled: false` and
 * logs in with `disableRTE: true`, so it opens neither MQTT nor socket.io.
 * Off by default: the REST test files then check what the server answers, not
 * what events add. tests/realtime.test.js sets PARLEY_SDK_RTE=1 for its own
 * process before loading this module (channels and messages pin it to 0);
 * PARLEY_SDK_RTE=1 turns it on for the other files of a run.
 */
const RTE_ENABLED = process.env.PARLEY_SDK_RTE === '1' || false;

let sdk;

function applyShims() {
  const Base = globalThis.Request;
  if (Base && !Base.parleyTolerant) {
    class TolerantRequest extends Base {
      constructor(input, init) {
        super(input || 'http://localhost/', init ? { method: init.method } : undefined);
      }
    }
    TolerantRequest.parleyTolerant = true;
    globalThis.Request = TolerantRequest;
  }
  if (!globalThis.WebSocket) globalThis.WebSocket = require('ws');
}

/** The SDK module, loaded once with the shims applied first. */
function load() {
  if (!sdk) {
    applyShims();
    sdk = require('@amityco/ts-sdk');
  }
  return sdk;
}

/** Prints every HTTP exchange of an SDK client to stderr (PARLEY_SDK_TRACE=1). */
function trace(client) {
  if (client.http.parleyTraced) return;
  client.http.parleyTraced = true;
  const short = (v) => {
    if (v === undefined || v === '') return '';
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    const max = Number(process.env.PARLEY_SDK_TRACE_MAX) || 2000;
    return s.length > max ? `${s.slice(0, max)}…` : s;
  };
  const line = (cfg, status, data) => {
    const query = cfg.params ? ` params=${short(cfg.params)}` : '';
    console.error(`[sdk http] ${String(cfg.method).toUpperCase()} ${cfg.url}${query} ${short(cfg.data)} -> ${status} ${short(data)}`);
  };
  const handler = {
    fulfilled: (res) => { line(res.config, res.status, res.data); return res; },
    rejected: (err) => { line(err.config ?? {}, err.response?.status ?? err.code, err.response?.data); return Promise.reject(err); },
    synchronous: false,
    runWhen: null,
  };
  // Run before the SDK's own response interceptor, which replaces error
  // responses by ASCApiErrors that no longer carry the request or the body.
  const { handlers } = client.http.interceptors.response;
  if (Array.isArray(handlers)) handlers.unshift(handler);
  else client.http.interceptors.response.use(handler.fulfilled, handler.rejected);
}

/**
 * The SDK client for apiKey at the given endpoints. The SDK keeps one client
 * per process: the same apiKey gives back the same client; another apiKey
 * makes a new client and makes it the active one.
 */
function createClient({ apiKey, http, mqtt }) {
  const { Client } = load();
  const client = Client.createClient(apiKey, 'sg', {
    apiEndpoint: { http, mqtt },
    rteEnabled: RTE_ENABLED,
  });
  if (process.env.PARLEY_SDK_TRACE === '1') trace(client);
  watchMarkerFetches(client);
  return client;
}

/*
 * Switching users safely. Every answer that carries messages makes the SDK
 * fetch their read markers 2 s later from a timer it never awaits
 * (prepareMessagePayload → getMessageMarkers, DEBOUNCE_TIME 2000). If the
 * harness logs the user out inside that window, the fetch goes out with no
 * token, the server rightly answers 400100, and the SDK's unhandled rejection
 * fails whichever test is running then. A real app has one user per process;
 * the harness, which switches users, waits for that fetch to have gone and
 * for every request in flight to end before it switches.
 */
const MARKER_FETCH_DELAY_MS = 2000;
const quiet = { inFlight: 0, lastMessages: 0 };

function watchMarkerFetches(client) {
  if (client.http.parleyWatched) return;
  client.http.parleyWatched = true;
  client.http.interceptors.request.use((cfg) => { quiet.inFlight += 1; return cfg; });
  const done = (res) => {
    quiet.inFlight = Math.max(0, quiet.inFlight - 1);
    if (Array.isArray(res?.data?.messages) && res.data.messages.length > 0) quiet.lastMessages = Date.now();
  };
  client.http.interceptors.response.use(
    (res) => { done(res); return res; },
    (err) => { done(err?.response); return Promise.reject(err); },
  );
}

/** Resolves once no SDK request is in flight and no marker fetch is pending. */
async function settleRequests(timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });
  for (;;) {
    const pendingFetch = quiet.lastMessages + MARKER_FETCH_DELAY_MS + 100 - Date.now();
    if (quiet.inFlight === 0 && pendingFetch <= 0) return;
    if (Date.now() > deadline) return; // the switch then shows what is still pending
    await sleep(Math.max(20, Math.min(pendingFetch, 200)));
  }
}

/** Renews by logging in again, as the SDK documents. */
const sessionHandler = {
  sessionWillRenewAccessToken(renewal) { renewal.renew(); },
};

/**
 * Client.login with the session handler and the real-time switch applied.
 * Resolves to what the SDK resolves (true on success).
 */
function login({ userId, displayName, authToken, deviceId }) {
  const { Client } = load();
  const params = { userId };
  if (displayName !== undefined) params.displayName = displayName;
  if (authToken !== undefined) params.authToken = authToken;
  if (deviceId !== undefined) params.deviceId = deviceId;
  return Client.login(params, sessionHandler, RTE_ENABLED ? undefined : { disableRTE: true });
}

/** Records every session state the SDK reports; call the returned stop() when done. */
function recordSessionStates() {
  const { Client } = load();
  const states = [];
  const stop = Client.onSessionStateChange((s) => states.push(s));
  return { states, stop };
}

/**
 * Subscribes to an SDK live object (e.g. UserRepository.getUser(id, cb)) and
 * resolves with the first snapshot that came from the server, successful or
 * not: `{data, error, loading, origin}`. Rejects after timeoutMs.
 */
function firstServerSnapshot(subscribe, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const seen = [];
    let unsubscribe;
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // The SDK may call back synchronously, before subscribe() has returned.
      setImmediate(() => { if (typeof unsubscribe === 'function') unsubscribe(); });
      fn(value);
    };
    const timer = setTimeout(() => {
      finish(reject, new Error(`no server answer within ${timeoutMs} ms; snapshots seen: ${JSON.stringify(seen)}`));
    }, timeoutMs);
    unsubscribe = subscribe((snap) => {
      seen.push({ origin: snap.origin, loading: snap.loading, error: snap.error?.message });
      if (snap.origin === 'server' && !snap.loading) finish(resolve, snap);
    });
  });
}

/**
 * Logs in as userId (the SDK logs the previous user out first when the userId
 * changes) and fails loudly when the SDK does not establish the session.
 * The SDK has one client per process, so a test that needs several users logs
 * in as each in turn; the SDK's cache is cleared on every switch.
 */
async function loginAs(userId, displayName) {
  await settleRequests();
  const ok = await login({ userId, displayName });
  if (ok !== true) throw new Error(`Client.login(${userId}) resolved ${ok}`);
  const { Client } = load();
  const me = Client.getActiveUser();
  if (me?.userId !== userId) throw new Error(`after login as ${userId} the active user is ${me?.userId}`);
  return me;
}

/**
 * Lets the SDK deliver the local events its last calls scheduled. The SDK
 * emits local events (e.g. 'local.channel-moderator.role-added' after addRole,
 * 'local.message.created' after createMessage) from a setTimeout(0); a live
 * collection opened before they fire receives them as a snapshot with
 * `loading: false` ahead of the server's first page. One macrotask turn is
 * enough: Node runs timers of equal delay in creation order.
 */
function flushLocalEvents() {
  return new Promise((resolve) => { setTimeout(resolve, 0); });
}

/**
 * Opens an SDK live collection (getMessages, getMembers, getChannels, …) and
 * records every snapshot it delivers. A collection's snapshot is
 * `{data, loading, error, hasNextPage, onNextPage, hasPrevPage?, onPrevPage?}`;
 * `loading: false` means the server (or an event) answered.
 *
 *   const msgs = sdk.openCollection((cb) => MessageRepository.getMessages(params, cb));
 *   const first = await msgs.settled();            // first answer from the server
 *   first.onNextPage();
 *   await msgs.waitFor((s) => !s.loading && s.data.length === 6, 'the second page');
 *   msgs.close();
 */
function openCollection(subscribe) {
  const snapshots = [];
  const waiters = new Set();
  let closed = false;
  const check = (w, snap) => {
    let ok = false;
    try { ok = w.pred(snap); } catch { ok = false; }
    if (ok) { waiters.delete(w); clearTimeout(w.timer); w.resolve(snap); }
  };
  const unsubscribe = subscribe((snap) => {
    if (closed) return;
    snapshots.push(snap);
    for (const w of [...waiters]) check(w, snap);
  });
  const summary = (s) => s && {
    loading: s.loading,
    error: s.error && `${s.error.code ?? ''} ${s.error.message}`,
    size: s.data?.length,
    hasNextPage: s.hasNextPage,
    hasPrevPage: s.hasPrevPage,
  };
  return {
    snapshots,
    get last() { return snapshots.at(-1); },
    /**
     * Resolves with the latest snapshot once pred(snapshot) holds (checked on
     * the latest snapshot now and on every new one); rejects after timeoutMs.
     */
    waitFor(pred, what = 'the expected snapshot', timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        w.timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`live collection: no ${what} within ${timeoutMs} ms; last snapshot ${JSON.stringify(summary(snapshots.at(-1)))}, ${snapshots.length} snapshots`));
        }, timeoutMs);
        waiters.add(w);
        if (snapshots.length) check(w, snapshots.at(-1));
      });
    },
    /**
     * The first settled (not loading) snapshot: the server's first answer or
     * its error, provided no local event is pending (see flushLocalEvents).
     */
    settled(what = 'answer from the server') {
      return this.waitFor((s) => !s.loading, what);
    },
    close() {
      closed = true;
      for (const w of waiters) clearTimeout(w.timer);
      waiters.clear();
      if (typeof unsubscribe === 'function') unsubscribe();
    },
  };
}

/**
 * Subscribes the SDK's MQTT connection to topic (the SDK's public
 * subscribeTopic) and resolves once the broker answered: `{ok: true}` when the
 * subscription was granted, `{ok: false, error}` when it was refused (the SDK
 * reports a SUBACK with granted QoS 128 as an error). Rejects after timeoutMs.
 *
 * Only a topic filter not yet subscribed on this connection reaches the broker:
 * mqtt.js answers a repeated subscription to the same filter itself, with
 * success, even if the broker has since dropped it. Use a fresh filter string
 * (e.g. channel.path instead of getChannelTopic(channel)) to ask again.
 * expectRefusal only keeps the SDK's warning about the refusal out of the output.
 */
function subscribe(topic, { timeoutMs = 10_000, expectRefusal = false } = {}) {
  const { subscribeTopic } = load();
  if (expectRefusal) quietTopics.add(topic);
  return new Promise((resolve, reject) => {
    let unsubscribe;
    const timer = setTimeout(() => reject(new Error(`no SUBACK for ${topic} within ${timeoutMs} ms`)), timeoutMs);
    unsubscribe = subscribeTopic(topic, (error) => {
      clearTimeout(timer);
      resolve({ ok: !error, error, unsubscribe: () => unsubscribe?.() });
    });
  });
}

// Topics whose refusal a test expects: the SDK warns about every refused
// subscription with a stack trace, which would only clutter the output.
const quietTopics = new Set();
const sdkWarn = console.warn;
console.warn = (...args) => {
  const m = typeof args[0] === 'string' && args[0].match(/^Failed to subscribe to topic (.*)$/);
  if (m && quietTopics.has(m[1])) return;
  sdkWarn.apply(console, args);
};

const BARRIER_TOPIC = 'parley-sdk-tests/barrier';
let barriers = 0;

/**
 * Resolves once the SDK's MQTT connection is up and its automatic
 * subscriptions (network, smartfeed, user and marker topics, sent on connect)
 * are in place. The broker answers SUBSCRIBEs in order, so the SUBACK of one
 * more subscription, to a fresh topic, comes after theirs; the broker refuses
 * that topic (no one may subscribe to it), which is just as good a barrier.
 * Only meaningful with real-time on (PARLEY_SDK_RTE=1).
 */
async function realtimeReady(timeoutMs = 10_000) {
  const { Client } = load();
  const client = Client.getActiveClient();
  const deadline = Date.now() + timeoutMs;
  while (!client.mqtt?.connected) {
    if (Date.now() > deadline) throw new Error(`the SDK's MQTT connection did not come up within ${timeoutMs} ms`);
    await new Promise((r) => { setTimeout(r, 20); });
  }
  barriers += 1;
  await subscribe(`${BARRIER_TOPIC}/${process.pid}/${barriers}`,
    { timeoutMs: Math.max(1000, deadline - Date.now()), expectRefusal: true });
}

/**
 * The first page of a live collection as the server answers it, then closes
 * the collection: `await sdk.fetchCollection((cb) => getMembers(params, cb))`.
 * Pending local events are flushed first, so the snapshot is the server's.
 */
async function fetchCollection(subscribe, what) {
  await flushLocalEvents();
  const col = openCollection(subscribe);
  try {
    return await col.settled(what);
  } finally {
    col.close();
  }
}

module.exports = {
  RTE_ENABLED,
  load,
  createClient,
  login,
  sessionHandler,
  recordSessionStates,
  firstServerSnapshot,
  loginAs,
  flushLocalEvents,
  openCollection,
  fetchCollection,
  subscribe,
  realtimeReady,
};
