'use strict';
// Identity through the official SDK: login, user lookup, and a wrong API key.
//
// Order matters in this file. The SDK keeps module-wide state: after a
// successful login it registers session listeners (token terminated, ban, …)
// that act on whichever client is active later. The wrong-key login therefore
// runs first, while no session has ever been established in this process.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const parley = require('../lib/server');
const sdk = require('../lib/sdk');

parley.useServer();

const HEX24 = /^[0-9a-f]{24}$/;

test('login with a wrong API key fails and establishes no session', async () => {
  const userId = 'wrong-key-user';
  const client = parley.newClient({ apiKey: 'not-the-api-key' });
  assert.equal(client.apiKey, 'not-the-api-key');
  const rec = sdk.recordSessionStates();
  try {
    await assert.rejects(sdk.login({ userId, displayName: 'Wrong Key' }), (err) => {
      // The server must answer {status:"error", code:400100} with a 401; the SDK
      // turns it into an ASCApiError carrying that code.
      assert.equal(err.code, 400100, `expected error code 400100, got ${err.code}: ${err.message}`);
      return true;
    });
  } finally {
    rec.stop();
  }
  assert.ok(!rec.states.includes('established'), `session states seen: ${rec.states}`);
  assert.equal(rec.states.at(-1), 'notLoggedIn', `session states seen: ${rec.states}`);
  assert.notEqual(client.sessionState, 'established');
  assert.equal(client.token, undefined, 'the SDK must not hold an access token');
  assert.ok(!client.http.defaults.headers.common.Authorization, 'no Authorization header may be set');
  assert.equal(client.userId, undefined);

  // A rejected login must not have created the user on the server either.
  const res = await parley.api('GET', `/api/v3/users/${userId}`, { token: await parley.adminToken() });
  assert.equal(res.status, 404, `GET /api/v3/users/${userId} as admin: ${res.status} ${JSON.stringify(res.body)}`);
  assert.equal(res.body?.code, 400400);
});

const ME = { userId: 'sdk-alice', displayName: 'Alice Example' };

test('login as a new user with a displayName establishes a session', async () => {
  const { Client } = sdk.load();
  const client = parley.newClient();
  assert.equal(client.apiKey, parley.API_KEY);
  assert.equal(client.sessionState, 'notLoggedIn');

  const rec = sdk.recordSessionStates();
  let ok;
  try {
    ok = await sdk.login(ME);
  } finally {
    rec.stop();
  }
  assert.equal(ok, true, 'Client.login must resolve true');
  assert.deepEqual(rec.states, ['establishing', 'established']);
  assert.equal(client.sessionState, 'established');
  assert.equal(client.userId, ME.userId);

  const me = Client.getActiveUser();
  assert.equal(me.userId, ME.userId);
  assert.match(me._id, HEX24, `user _id must be 24 hex characters, got ${me._id}`);
  assert.match(me.path ?? '', /^[^/]+\/user\/[0-9a-f]{24}$/, `user path must be <networkId>/user/<_id>, got ${me.path}`);
  assert.equal(me.path.split('/user/')[1], me._id);

  const { accessToken, issuedAt, expiresAt } = client.token;
  assert.equal(typeof accessToken, 'string');
  assert.ok(accessToken.length > 0);
  assert.match(client.http.defaults.headers.common.Authorization, /^Bearer .+/);
  const now = Date.now();
  assert.ok(Date.parse(issuedAt) <= now + 60_000, `issuedAt ${issuedAt} must be a date, not in the future`);
  assert.ok(Date.parse(expiresAt) > now + 24 * 3600_000, `expiresAt ${expiresAt} must be a date more than a day ahead`);
});

test('UserRepository.getUser returns users with their userId and displayName', async (t) => {
  const { UserRepository, Client } = sdk.load();
  const client = parley.newClient();
  assert.equal(client.sessionState, 'established', 'needs the login of the previous test');

  await t.test('the logged-in user', async () => {
    const snap = await sdk.firstServerSnapshot((cb) => UserRepository.getUser(ME.userId, cb));
    assert.equal(snap.error, undefined, `getUser(${ME.userId}) failed: ${snap.error?.message}`);
    assert.ok(snap.data, 'getUser must deliver a user');
    assert.equal(snap.data.userId, ME.userId);
    assert.equal(snap.data.displayName, ME.displayName);
    assert.equal(snap.data._id, Client.getActiveUser()._id);
  });

  await t.test('a user an admin created', async () => {
    const other = { userId: 'sdk-bob', displayName: 'Bob Fixture' };
    await parley.ensureUser(other.userId, other.displayName);
    const snap = await sdk.firstServerSnapshot((cb) => UserRepository.getUser(other.userId, cb));
    assert.equal(snap.error, undefined, `getUser(${other.userId}) failed: ${snap.error?.message}`);
    assert.ok(snap.data, 'getUser must deliver a user');
    assert.equal(snap.data.userId, other.userId);
    assert.equal(snap.data.displayName, other.displayName);
    assert.match(snap.data._id, HEX24);
    assert.notEqual(snap.data._id, Client.getActiveUser()._id);
  });

  await t.test('an unknown user is a 400400 error', async () => {
    const snap = await sdk.firstServerSnapshot((cb) => UserRepository.getUser('sdk-nobody', cb));
    assert.ok(snap.error, 'getUser of an unknown user must fail');
    assert.equal(snap.error.code, 400400, `got ${snap.error.code}: ${snap.error.message}`);
    assert.equal(snap.data, undefined);
  });

  // The session survived all of the above.
  assert.equal(client.sessionState, 'established');
});
