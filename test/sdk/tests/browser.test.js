'use strict';
// The SDK's browser bundle in a real browser, on another origin than Parley's: headless
// Chromium loads a page from a second local HTTP server (http://localhost:<port>, while
// Parley listens on http://127.0.0.1:<other port>), the page loads the SDK's UMD build
// from its own origin, logs in against Parley and sends a message. Node then checks over
// REST that the message is stored, and that the browser asked CORS preflights.
//
// The browser is Debian's `chromium` (PARLEY_CHROMIUM names another binary). Without
// one the test says why and skips; .ci/run installs it.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const parley = require('../lib/server');

parley.useServer();

const USER = 'browser-alice';
const CHANNEL = 'browser-room';

/** The Chromium binary, or why there is none. */
function findChromium() {
  const candidates = process.env.PARLEY_CHROMIUM ? [process.env.PARLEY_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return { bin: c };
    } catch { /* next */ }
  }
  return { why: `no Chromium at ${candidates.join(' or ')} (install Debian's chromium package, or set PARLEY_CHROMIUM)` };
}

/** The SDK's browser build: the UMD bundle, which defines the global `Amity`. */
const SDK_BUNDLE = path.join(path.dirname(require.resolve('@amityco/ts-sdk/package.json')), 'dist', 'index.umd.js');

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Parley from a browser</title>
<script src="/amity.umd.js"></script></head>
<body><p>Parley SDK browser test</p></body></html>`;

/** Serves the page and the SDK bundle on loopback; resolves to {server, origin}. */
function servePage() {
  const bundle = fs.readFileSync(SDK_BUNDLE);
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    } else if (req.url === '/amity.umd.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(bundle);
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      // "localhost" is another origin than Parley's "127.0.0.1", and another port too.
      resolve({ server, origin: `http://localhost:${server.address().port}` });
    });
  });
}

/** parley_http_requests_total for one route label, summed over statuses. */
async function requestsOfRoute(route) {
  const res = await fetch(parley.baseUrl + '/metrics');
  const text = await res.text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('parley_http_requests_total{') && line.includes(`route="${route}"`)) {
      n += Number(line.split(' ').pop());
    }
  }
  return n;
}

const chromium = findChromium();
if (chromium.why) console.log(`# browser test skipped: ${chromium.why}`);

test('the browser bundle logs in from another origin and sends a message', { skip: chromium.why, timeout: 120_000 }, async (t) => {
  const puppeteer = require('puppeteer-core');

  // Fixtures from Node: the user, and a channel the user is a member of.
  const token = await parley.userToken(USER, { displayName: 'Alice in a browser' });
  const created = await parley.api('POST', '/api/v3/channels', {
    token, body: { channelId: CHANNEL, type: 'community', displayName: 'Browser room' },
  });
  assert.equal(created.status, 200, `create channel: ${JSON.stringify(created.body)}`);
  const feedId = created.body.channels[0].channelInternalId;
  const preflightsBefore = await requestsOfRoute('cors');

  const { server: pageServer, origin } = await servePage();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-chromium-'));
  let browser;
  t.after(async () => {
    if (browser) await browser.close();
    // Chromium's keep-alive connections would hold close() for minutes.
    pageServer.closeAllConnections();
    await new Promise((r) => pageServer.close(r));
    fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  browser = await puppeteer.launch({
    executablePath: chromium.bin,
    headless: true,
    userDataDir,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage();
  const console_ = [];
  page.on('console', (m) => console_.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console_.push(`pageerror: ${e.message}`));

  // What the browser did on the wire, from the DevTools protocol: CORS preflights and the
  // MQTT WebSocket handshake.
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  const preflights = [];
  const sockets = [];
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.type === 'Preflight' || e.request.method === 'OPTIONS') preflights.push(`${e.request.method} ${e.request.url}`);
  });
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => sockets.push(e.response.status));

  await page.goto(origin + '/', { waitUntil: 'load' });
  const userAgent = await page.evaluate(() => navigator.userAgent);

  const outcome = await page.evaluate(async ({ apiKey, http, mqtt, userId, feedId }) => {
    try {
      const { Client, MessageRepository } = window.Amity;
      Client.createClient(apiKey, 'sg', { apiEndpoint: { http, mqtt } });
      const ok = await Client.login({ userId }, { sessionWillRenewAccessToken(r) { r.renew(); } });
      const { data } = await MessageRepository.createMessage({
        subChannelId: feedId, dataType: 'text', data: { text: 'hello from a browser' },
      });
      return { ok, messageId: data.messageId, me: Client.getActiveUser()?.userId };
    } catch (e) {
      return { error: `${e && e.name}: ${e && e.message} (code ${e && e.code})` };
    }
  }, { apiKey: parley.server.apiKey, http: parley.baseUrl, mqtt: parley.mqttUrl, userId: USER, feedId });

  assert.equal(outcome.error, undefined, `the page failed: ${outcome.error}\n--- browser console ---\n${console_.join('\n')}`);
  assert.equal(outcome.ok, true, 'Client.login resolved true');
  assert.equal(outcome.me, USER);
  assert.ok(userAgent.length > 100, `a real browser user agent (${userAgent.length} characters): the SDK sends "gecko#" + it as deviceInfo.model`);

  // The message is stored: read it back over REST from Node.
  const listed = await parley.api('GET', `/api/v5/messages?messageFeedId=${feedId}&options%5Blimit%5D=10`, { token });
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  const stored = listed.body.messages.find((m) => m.messageId === outcome.messageId);
  assert.ok(stored, `message ${outcome.messageId} is not stored: ${JSON.stringify(listed.body.messages)}`);
  assert.deepEqual(stored.data, { text: 'hello from a browser' });
  assert.equal(stored.creatorPublicId, USER);

  // The browser asked before the login (X-API-Key, JSON) and the calls with Authorization.
  const preflightsAfter = await requestsOfRoute('cors');
  assert.ok(preflightsAfter - preflightsBefore >= 2,
    `Parley answered ${preflightsAfter - preflightsBefore} CORS preflights (DevTools saw: ${preflights.join(', ') || 'none'})`);
  for (const route of ['/api/v5/sessions', '/api/v5/messages']) {
    assert.ok(preflights.includes(`OPTIONS ${parley.baseUrl}${route}`), `no preflight of ${route}; DevTools saw: ${preflights.join(', ')}`);
  }
  // The SDK opened MQTT over WebSocket from the page's origin; Parley took the upgrade.
  for (let i = 0; i < 50 && !sockets.includes(101); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(sockets.includes(101), `no WebSocket upgrade to /mqtt succeeded (handshake statuses: ${sockets.join(', ') || 'none'})`);
});
