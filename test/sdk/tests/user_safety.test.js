'use strict';
// User safety through the official SDK: block and unblock a user (and the
// blocked user kept out of conversations with the blocker), the blocked-users
// collection, flag / unflag a user with isUserFlaggedByMe, and getRole.
//
// The SDK has one client per process: the blocker is logged in through the
// SDK, the blocked user acts with a token of their own (parley.userToken).

process.env.PARLEY_SDK_RTE = '0'; // REST answers only: realtime.test.js covers events

const { test } = require('node:test');
const assert = require('node:assert/strict');

const parley = require('../lib/server');
const sdk = require('../lib/sdk');

parley.useServer();

const ALICE = 'safety-alice';
const BOB = 'safety-bob';

/** Bob starts a conversation with Alice outside the SDK; resolves to the HTTP answer. */
async function bobStartsConversation() {
  return parley.api('POST', '/api/v3/channels/conversation', {
    token: await parley.userToken(BOB),
    body: { userIds: [ALICE], isDistinct: false },
  });
}

async function serverUser(userId) {
  const res = await parley.api('GET', `/api/v3/users/${userId}`, { token: await parley.adminToken() });
  assert.equal(res.status, 200);
  return res.body.users[0];
}

test('blockUser and unBlockUser: the blocked user cannot start a conversation with the blocker meanwhile', async () => {
  await parley.ensureUser(BOB, 'Bob Safety');
  parley.newClient();
  await sdk.loginAs(ALICE, 'Alice Safety');
  const { UserRepository } = sdk.load();

  const blocked = await UserRepository.Relationship.blockUser(BOB);
  assert.equal(blocked.follows[0].status, 'blocked');
  assert.equal(blocked.follows[0].from, BOB);
  assert.equal(blocked.follows[0].to, ALICE);

  const res = await bobStartsConversation();
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.equal(res.body.code, 400301);

  const snap = await sdk.fetchCollection((cb) => UserRepository.getBlockedUsers({ limit: 10 }, cb), 'blocked users');
  assert.ifError(snap.error);
  assert.deepEqual(snap.data.map((u) => u.userId), [BOB]);

  const unblocked = await UserRepository.Relationship.unBlockUser(BOB);
  assert.equal(unblocked.follows[0].status, 'none');
  const again = await bobStartsConversation();
  assert.equal(again.status, 200, JSON.stringify(again.body));
});

test('flagUser, isUserFlaggedByMe and unflagUser', async () => {
  await sdk.loginAs(ALICE, 'Alice Safety');
  const { UserRepository } = sdk.load();

  assert.equal(await UserRepository.isUserFlaggedByMe(BOB), false);
  assert.equal(await UserRepository.flagUser(BOB), true);
  assert.equal(await UserRepository.isUserFlaggedByMe(BOB), true);
  assert.equal((await serverUser(BOB)).flagCount, 1);

  assert.equal(await UserRepository.unflagUser(BOB), true);
  assert.equal(await UserRepository.isUserFlaggedByMe(BOB), false);
  assert.equal((await serverUser(BOB)).flagCount, 0);
});

test('getRole reads a built-in role and an admin-defined one', async () => {
  const res = await parley.api('POST', '/api/v3/roles', {
    token: await parley.adminToken(),
    body: { roleId: 'safety-reviewer', displayName: 'Reviewer', permissions: ['BAN_USER'] },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await sdk.loginAs(ALICE, 'Alice Safety');
  const { getRole } = sdk.load();
  const { data: custom } = await getRole('safety-reviewer');
  assert.equal(custom.displayName, 'Reviewer');
  assert.deepEqual(custom.permissions, ['BAN_USER']);
  const { data: builtin } = await getRole('channel-moderator');
  assert.ok(builtin.permissions.includes('BAN_USER_FROM_CHANNEL'));
});
