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
 * The real-time (MQTT over WebSocket at /mqtt) issue turns this on; until the
 * server serves /mqtt, leave it off. PARLEY_SDK_RTE=1 overrides it for a run.
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
    return s.length > 2000 ? `${s.slice(0, 2000)}…` : s;
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
  return client;
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

module.exports = {
  RTE_ENABLED,
  load,
  createClient,
  login,
  sessionHandler,
  recordSessionStates,
  firstServerSnapshot,
};
