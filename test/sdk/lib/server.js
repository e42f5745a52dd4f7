'use strict';
/*
 * Parley SDK end-to-end test harness: one real Parley server per test file.
 *
 * How to run (the Go toolchain must be on PATH; Node 20 or newer):
 *
 *     cd test/sdk && npm ci && npm test
 *
 * `npm test` runs `node --test` over tests/. Every test file runs in its own
 * Node process (the Amity SDK client is a process-wide singleton), and every
 * file gets its own server: `go build ./cmd/parley` once per process (the Go
 * build cache makes the later builds cheap), then `parley serve` on a free
 * loopback port with a fresh temporary data directory and fixed keys. The
 * server is stopped (SIGTERM, then wait for it to exit) after the file's tests.
 *
 * Environment knobs (all optional):
 *   PARLEY_BIN=/path/to/parley  use this binary instead of building one
 *   PARLEY_SDK_RTE=1            turn the SDK's real-time (MQTT) on (see lib/sdk.js)
 *   PARLEY_SDK_TRACE=1          print every HTTP exchange the SDK makes to stderr
 *   PARLEY_KEEP_DATA=1          keep the temp data dir and print where it is
 *
 * A test file uses it like this:
 *
 *     const parley = require('../lib/server');
 *     parley.useServer();                  // registers before/after hooks
 *     test('…', async () => {
 *       const client = parley.newClient(); // the SDK client for this server
 *       …
 *     });
 */

const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { before, after, afterEach } = require('node:test');

/** Keys the server is started with. Fixed, so tests can also use wrong ones on purpose. */
const API_KEY = 'parley-sdk-test-api-key';
const SERVER_KEY = 'parley-sdk-test-server-key';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const BUILD_TIMEOUT_MS = 10 * 60_000;
const OUTPUT_KEEP_BYTES = 64 * 1024;

/** The repository root: test/sdk/lib -> ../../.. (the directory holding go.mod). */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

let builtBinary; // promise of the binary path, built at most once per process
let current; // the running server of this process, if any

function buildBinary() {
  if (process.env.PARLEY_BIN) return Promise.resolve(path.resolve(process.env.PARLEY_BIN));
  if (!builtBinary) {
    builtBinary = new Promise((resolve, reject) => {
      if (!fs.existsSync(path.join(REPO_ROOT, 'go.mod'))) {
        reject(new Error(`no go.mod in ${REPO_ROOT}: test/sdk must stay inside the Parley repository`));
        return;
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-sdk-bin-'));
      const bin = path.join(dir, 'parley');
      process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      execFile('go', ['build', '-o', bin, './cmd/parley'],
        { cwd: REPO_ROOT, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) {
            reject(new Error(`go build ./cmd/parley failed (cwd ${REPO_ROOT}): ${err.message}\n${stdout}${stderr}`));
          } else {
            resolve(bin);
          }
        });
    });
  }
  return builtBinary;
}

/** A free loopback TCP port: listen on port 0, read the port, close. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Keeps the last `limit` bytes of a stream's output. */
function tail(limit) {
  let chunks = [];
  let size = 0;
  return {
    push(buf) {
      chunks.push(buf);
      size += buf.length;
      while (size > limit && chunks.length > 1) size -= chunks.shift().length;
    },
    text() {
      const all = Buffer.concat(chunks);
      return all.subarray(Math.max(0, all.length - limit)).toString('utf8');
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts one `parley serve` and resolves once GET /readyz answers 200. */
async function launch(bin) {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-sdk-data-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stdout = tail(OUTPUT_KEEP_BYTES);
  const stderr = tail(OUTPUT_KEEP_BYTES);
  const child = spawn(bin, ['serve'], {
    cwd: dataDir,
    env: {
      ...process.env,
      PARLEY_LISTEN: `127.0.0.1:${port}`,
      PARLEY_DATA_DIR: dataDir,
      PARLEY_API_KEY: API_KEY,
      PARLEY_SERVER_KEY: SERVER_KEY,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (b) => stdout.push(b));
  child.stderr.on('data', (b) => stderr.push(b));
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  // Never leave a server behind, even when the test process exits abruptly.
  const killOnExit = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);

  const server = {
    port, baseUrl, dataDir, child, exited,
    mqttUrl: `ws://127.0.0.1:${port}/mqtt`,
    apiKey: API_KEY,
    serverKey: SERVER_KEY,
    output: () => ({ stdout: stdout.text(), stderr: stderr.text() }),
    killOnExit,
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  let died;
  exited.then((e) => { died = e; });
  while (Date.now() < deadline) {
    if (died) {
      const why = died.error ? died.error.message : `exit code ${died.code}, signal ${died.signal}`;
      const err = new Error(`parley serve died before it was ready (${why}).\n--- server stderr ---\n${stderr.text()}\n--- server stdout ---\n${stdout.text()}`);
      err.serverOutput = stderr.text() + stdout.text();
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.removeListener('exit', killOnExit);
      throw err;
    }
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return server;
      lastProblem = `GET /readyz answered ${res.status}`;
    } catch (e) {
      lastProblem = `GET /readyz: ${e.cause?.code ?? e.message}`;
    }
    await sleep(100);
  }
  await stopServer(server);
  throw new Error(`parley serve was not ready within ${READY_TIMEOUT_MS} ms (${lastProblem}).\n--- server stderr ---\n${stderr.text()}\n--- server stdout ---\n${stdout.text()}`);
}

/**
 * Builds (once) and starts the server for this process; resolves to the
 * server handle. Calling it again returns the running server.
 */
async function start() {
  if (current) return current;
  const bin = await buildBinary();
  // The free port can be taken between our probe and the server's listen: retry a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      current = await launch(bin);
      return current;
    } catch (e) {
      if (attempt < 3 && /address already in use/i.test(e.serverOutput ?? '')) continue;
      throw e;
    }
  }
}

/** SIGTERM, then wait for the exit (SIGKILL after STOP_TIMEOUT_MS). Resolves to {code, signal}. */
async function stopServer(server) {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  let timer;
  const result = await Promise.race([
    server.exited,
    new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS); }),
  ]);
  clearTimeout(timer);
  let outcome = result;
  if (!result) {
    child.kill('SIGKILL');
    outcome = { ...(await server.exited), killed: true };
  }
  process.removeListener('exit', server.killOnExit);
  if (process.env.PARLEY_KEEP_DATA === '1') {
    console.error(`parley data dir kept at ${server.dataDir}`);
  } else {
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }
  return outcome;
}

/** Stops this process's server, if one runs. */
async function stop() {
  if (!current) return undefined;
  const server = current;
  current = undefined;
  adminTokenCache = undefined;
  return stopServer(server);
}

function running() {
  if (!current) throw new Error('the Parley server is not started: call useServer() (or await start()) first');
  return current;
}

/**
 * One HTTP call to the server, outside the SDK (fixtures, checks).
 * Resolves to {status, headers, body}; body is parsed JSON when it is JSON.
 */
async function api(method, urlPath, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    h['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(running().baseUrl + urlPath, { method, headers: h, body: payload });
  const text = await res.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON: keep text */ }
  return { status: res.status, headers: res.headers, body: parsed };
}

let adminTokenCache;
/** A Bearer token of a global admin, from POST /api/v1/admin-token (cached per server). */
async function adminToken() {
  if (!adminTokenCache) {
    const res = await api('POST', '/api/v1/admin-token', { headers: { 'x-server-key': SERVER_KEY } });
    if (res.status !== 200 || typeof res.body?.adminToken !== 'string') {
      throw new Error(`POST /api/v1/admin-token answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    adminTokenCache = res.body.adminToken;
  }
  return adminTokenCache;
}

/** Creates (or updates) a user as the admin: PUT /api/v3/users with createNewUserWhenNotFound. */
async function ensureUser(userId, displayName) {
  const res = await api('PUT', '/api/v3/users', {
    token: await adminToken(),
    body: { userId, displayName, createNewUserWhenNotFound: true },
  });
  if (res.status !== 200) {
    throw new Error(`PUT /api/v3/users ${userId} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/**
 * An access token of userId from POST /api/v5/sessions, outside the SDK: for
 * acting as a second user while the SDK client (one per process) is logged in
 * as someone else. Creates the user on first use, as a login does.
 */
async function userToken(userId, { displayName, deviceId = `parley-sdk-tests-${userId}` } = {}) {
  const body = { userId, deviceId };
  if (displayName !== undefined) body.displayName = displayName;
  const res = await api('POST', '/api/v5/sessions', { headers: { 'x-api-key': API_KEY }, body });
  if (res.status !== 200 || typeof res.body?.accessToken !== 'string') {
    throw new Error(`POST /api/v5/sessions ${userId} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body.accessToken;
}

/**
 * The SDK client for this server (see lib/sdk.js). The SDK keeps one client per
 * apiKey per process, so this returns the same client on every call with the
 * same key; pass another apiKey to get a client for a wrong key.
 */
function newClient({ apiKey = API_KEY } = {}) {
  const server = running();
  return require('./sdk').createClient({ apiKey, http: server.baseUrl, mqtt: server.mqttUrl });
}

let hooksInstalled = false;
/**
 * Registers the file-level hooks: start the server before the first test,
 * stop it after the last, and make sure the process ends with the right exit
 * code even though the SDK leaves timers running.
 */
function useServer() {
  if (hooksInstalled) return module.exports;
  hooksInstalled = true;
  let failed = false;

  before(async () => {
    try {
      await start();
    } catch (e) {
      failed = true;
      throw e;
    }
  }, { timeout: BUILD_TIMEOUT_MS + READY_TIMEOUT_MS + 30_000 });

  afterEach((t) => { if (!t.passed) failed = true; });

  after(async () => {
    const server = current;
    const outcome = await stop();
    if (server && failed) {
      // Show what the server said: it is usually the quickest way to the cause.
      const { stderr, stdout } = server.output();
      console.error(`--- parley server output (last ${OUTPUT_KEEP_BYTES} bytes) ---\n${stderr}${stdout}`);
    }
    if (outcome && (outcome.killed || (outcome.code !== 0 && outcome.signal !== 'SIGTERM'))) {
      console.error(`parley serve did not stop cleanly on SIGTERM: ${JSON.stringify(outcome)}`);
    }
    // The SDK leaves intervals running, so the event loop never empties on its
    // own. `npm test` passes --test-force-exit; this is the fallback for runs
    // without it (e.g. `node --test tests/`): exit shortly after the last hook,
    // non-zero when anything failed. The timer is unref'd, so it never keeps a
    // process alive that could end by itself.
    setTimeout(() => {
      process.exit(failed ? 1 : (process.exitCode ?? 0));
    }, 2000).unref();
  }, { timeout: STOP_TIMEOUT_MS + 5_000 });

  return module.exports;
}

module.exports = {
  API_KEY,
  SERVER_KEY,
  REPO_ROOT,
  start,
  stop,
  useServer,
  api,
  adminToken,
  ensureUser,
  userToken,
  newClient,
  get server() { return running(); },
  get baseUrl() { return running().baseUrl; },
  get mqttUrl() { return running().mqttUrl; },
};
