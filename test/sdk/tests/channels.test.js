'use strict';
// Channels and membership through the official SDK: create, get, list, join,
// leave, add/remove members, ban/unban, roles, muting members, and errors.
//
// The SDK has one client per process, so the tests log in as each user in turn
// (sdk.loginAs); users other than the first are created ahead by the admin
// (parley.ensureUser), as an Amity back office would. The tests build on each
// other's state and run in file order.

// Real-time stays off here whatever the environment says: these tests check
// the server's REST answers, and with it on, the events of earlier calls land
// in collections opened later. tests/realtime.test.js covers the events.
process.env.PARLEY_SDK_RTE = '0'; // before lib/sdk is loaded: it reads the switch once

const { test } = require('node:test');
const assert = require('node:assert/strict');

const parley = require('../lib/server');
const sdk = require('../lib/sdk');

parley.useServer();

const HEX24 = /^[0-9a-f]{24}$/;
const MODERATOR = 'channel-moderator';

const OWNER = 'ch-owner';
const BOB = 'ch-bob';
const CAROL = 'ch-carol';
const DAVE = 'ch-dave';
const ERIN = 'ch-erin';

// Filled by the tests, in order.
let town; // the community channel most tests work on
const LIVE_ID = 'ch-stage'; // a non-public live channel with a caller-chosen id


/** Asserts that promise rejects with an SDK error carrying the Amity code. */
async function rejectsWithCode(promise, code, what) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `${what}: expected error code ${code}, got ${err.code}: ${err.message}`);
    return true;
  }, `${what} must fail with ${code}`);
}

/**
 * The channel as getChannel (the live object) delivers it from the server.
 * The SDK answers from its cache without asking the server while its copy is
 * less than a minute old; the tests check the server, so they drop the
 * cached channels first (dropFromCache is public SDK API).
 */
async function fetchChannel(channelId) {
  const { ChannelRepository, dropFromCache } = sdk.load();
  dropFromCache(['channel', 'get']);
  const snap = await sdk.firstServerSnapshot((cb) => ChannelRepository.getChannel(channelId, cb));
  assert.equal(snap.error, undefined, `getChannel(${channelId}) failed: ${snap.error?.code} ${snap.error?.message}`);
  assert.ok(snap.data, `getChannel(${channelId}) delivered no channel`);
  return snap.data;
}

/** The first page of Membership.getMembers from the server (params other than channelId are passed on). */
async function fetchMembers(channelId, params = {}) {
  const { ChannelRepository } = sdk.load();
  const snap = await sdk.fetchCollection((cb) => ChannelRepository.Membership.getMembers({ channelId, limit: 20, ...params }, cb));
  assert.equal(snap.error, undefined, `getMembers(${JSON.stringify(params)}) failed: ${snap.error?.code} ${snap.error?.message}`);
  return snap.data;
}

const userIds = (members) => members.map((m) => m.userId).sort();
const memberOf = (members, userId) => members.find((m) => m.userId === userId);

test('createChannel makes a community channel with the creator as moderator', async () => {
  const { ChannelRepository } = sdk.load();
  for (const id of [BOB, CAROL, DAVE, ERIN]) await parley.ensureUser(id, `User ${id}`);
  parley.newClient();
  await sdk.loginAs(OWNER, 'Olivia Owner');

  const { data: ch } = await ChannelRepository.createChannel({
    type: 'community',
    displayName: 'Town Square',
    tags: ['town', 'pager'],
    metadata: { topic: 'general' },
    userIds: [BOB],
    isPublic: true,
  });
  town = ch;
  assert.equal(typeof ch.channelId, 'string');
  assert.ok(ch.channelId.length > 0, 'the server must make a channelId when none is given');
  assert.equal(ch.type, 'community');
  assert.equal(ch.displayName, 'Town Square');
  assert.deepEqual(ch.tags, ['town', 'pager']);
  assert.deepEqual(ch.metadata, { topic: 'general' });
  assert.equal(ch.isPublic, true);
  assert.equal(ch.memberCount, 2, 'the creator and the one added user are members');
  assert.match(ch.channelInternalId, HEX24);
  assert.equal(ch.defaultSubChannelId, ch.channelInternalId, 'the default sub-channel id is the channelInternalId');
  assert.match(ch.path ?? '', /^[^/]+\/chat\/[0-9a-f]{24}$/, `channel path must be <networkId>/chat/<channelInternalId>, got ${ch.path}`);
  assert.equal(ch.path.split('/chat/')[1], ch.channelInternalId);
  assert.equal(ch.isDeleted, false);

  const members = await fetchMembers(ch.channelId);
  assert.deepEqual(userIds(members), [BOB, OWNER]);
  assert.deepEqual(memberOf(members, OWNER).roles, [MODERATOR]);
  assert.deepEqual(memberOf(members, BOB).roles, []);
  for (const m of members) {
    assert.equal(m.membership, 'member');
    assert.equal(m.channelId, ch.channelId, 'channelUser.channelId is the public id the app used');
    assert.equal(m.isBanned, false);
    assert.equal(m.isMuted, false);
  }
});

test('createChannel with a chosen channelId keeps it, and the same id again is a conflict', async () => {
  const { ChannelRepository } = sdk.load();
  assert.equal(parley.newClient().userId, OWNER);
  // The SDK forwards keys it does not know, as Amity apps do for channelId.
  const { data: ch } = await ChannelRepository.createChannel({
    channelId: LIVE_ID, type: 'live', displayName: 'Stage', tags: ['pager'],
  });
  assert.equal(ch.channelId, LIVE_ID);
  assert.equal(ch.channelPublicId, LIVE_ID);
  assert.equal(ch.type, 'live');
  assert.equal(ch.memberCount, 1);

  await rejectsWithCode(
    ChannelRepository.createChannel({ channelId: LIVE_ID, type: 'community', displayName: 'Again' }),
    400900, 'createChannel with an existing channelId');
  await rejectsWithCode(
    ChannelRepository.createChannel({ type: 'community', displayName: 'Ghosts', userIds: ['ch-nobody'] }),
    400400, 'createChannel naming a user that does not exist');
});

test('getChannel delivers the channel; a missing channel is a 400400 error', async () => {
  const { ChannelRepository, dropFromCache } = sdk.load();
  const ch = await fetchChannel(town.channelId);
  assert.equal(ch.channelId, town.channelId);
  assert.equal(ch.channelInternalId, town.channelInternalId);
  assert.equal(ch.displayName, 'Town Square');
  assert.equal(ch.memberCount, 2);
  assert.equal(ch.type, 'community');

  dropFromCache(['channel', 'get']);
  const snap = await sdk.firstServerSnapshot((cb) => ChannelRepository.getChannel('ch-no-such-channel', cb));
  assert.ok(snap.error, 'getChannel of a missing channel must fail');
  assert.equal(snap.error.code, 400400, `got ${snap.error.code}: ${snap.error.message}`);
});

test('getChannels lists channels a page at a time and filters by membership', async () => {
  const { ChannelRepository } = sdk.load();
  // Three more tagged channels: five 'pager' channels in all, created in order.
  for (const name of ['Pager A', 'Pager B', 'Pager C']) {
    await ChannelRepository.createChannel({ type: 'community', displayName: name, tags: ['pager'], isPublic: true });
  }
  await sdk.flushLocalEvents();
  const col = sdk.openCollection((cb) => ChannelRepository.getChannels(
    { tags: ['pager'], sortBy: 'firstCreated', limit: 2 }, cb));
  try {
    const first = await col.settled();
    assert.equal(first.error, undefined, `getChannels failed: ${first.error?.code} ${first.error?.message}`);
    assert.deepEqual(first.data.map((c) => c.displayName), ['Town Square', 'Stage']);
    assert.equal(first.hasNextPage, true);

    first.onNextPage();
    const second = await col.waitFor((s) => !s.loading && s.data.length > 2, 'second page');
    assert.deepEqual(second.data.map((c) => c.displayName), ['Town Square', 'Stage', 'Pager A', 'Pager B']);
    assert.equal(second.hasNextPage, true);

    second.onNextPage();
    const third = await col.waitFor((s) => !s.loading && s.data.length > 4, 'third page');
    assert.deepEqual(third.data.map((c) => c.displayName), ['Town Square', 'Stage', 'Pager A', 'Pager B', 'Pager C']);
    assert.equal(third.hasNextPage, false, 'the last page has no next token');
  } finally {
    col.close();
  }

  // Bob was added to Town Square only.
  await sdk.loginAs(BOB);
  await sdk.flushLocalEvents();
  const mine = sdk.openCollection((cb) => ChannelRepository.getChannels(
    { tags: ['pager'], membership: 'member', limit: 10 }, cb));
  const notMine = sdk.openCollection((cb) => ChannelRepository.getChannels(
    { tags: ['pager'], membership: 'notMember', sortBy: 'displayName', limit: 10 }, cb));
  try {
    const m = await mine.settled();
    assert.equal(m.error, undefined, `getChannels(member) failed: ${m.error?.message}`);
    assert.deepEqual(m.data.map((c) => c.channelId), [town.channelId]);
    const n = await notMine.settled();
    assert.equal(n.error, undefined, `getChannels(notMember) failed: ${n.error?.message}`);
    // Stage is a live channel that is not public: non-members do not see it at all.
    assert.deepEqual(n.data.map((c) => c.displayName), ['Pager A', 'Pager B', 'Pager C']);
  } finally {
    mine.close();
    notMine.close();
  }
});

test('joinChannel and leaveChannel change membership and memberCount', async () => {
  const { ChannelRepository } = sdk.load();
  await sdk.loginAs(CAROL);
  assert.equal(await ChannelRepository.joinChannel(town.channelId), true);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 3);
  let members = await fetchMembers(town.channelId);
  assert.deepEqual(userIds(members), [BOB, CAROL, OWNER]);
  assert.equal(memberOf(members, CAROL).membership, 'member');
  assert.deepEqual(memberOf(members, CAROL).roles, []);

  // Joining twice changes nothing.
  assert.equal(await ChannelRepository.joinChannel(town.channelId), true);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 3);

  assert.equal(await ChannelRepository.leaveChannel(town.channelId), true);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 2);
  members = await fetchMembers(town.channelId);
  assert.deepEqual(userIds(members), [BOB, OWNER]);

  await rejectsWithCode(ChannelRepository.leaveChannel(town.channelId), 400301, 'leaving a channel one is not a member of');
  await rejectsWithCode(ChannelRepository.joinChannel(LIVE_ID), 400301, 'joining a live channel that is not public');
  await rejectsWithCode(ChannelRepository.joinChannel('ch-no-such-channel'), 400400, 'joining a missing channel');
});

test('the last moderator cannot leave while others remain', async () => {
  const { ChannelRepository } = sdk.load();
  await sdk.loginAs(OWNER);
  await rejectsWithCode(ChannelRepository.leaveChannel(town.channelId), 400317, 'the last moderator leaving');
  assert.equal((await fetchChannel(town.channelId)).memberCount, 2);
});

test('addMembers and removeMembers change who is in the channel; getMembers pages', async () => {
  const { ChannelRepository } = sdk.load();
  assert.equal(parley.newClient().userId, OWNER);
  assert.equal(await ChannelRepository.Membership.addMembers(town.channelId, [CAROL, DAVE]), true);
  let members = await fetchMembers(town.channelId);
  assert.deepEqual(userIds(members), [BOB, CAROL, DAVE, OWNER]);
  for (const m of members) assert.equal(m.membership, 'member', `${m.userId} membership`);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 4);

  // Adding someone who is already a member is a no-op.
  assert.equal(await ChannelRepository.Membership.addMembers(town.channelId, [DAVE]), true);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 4);

  // A user that does not exist: 400400 and nothing changes (not even for the valid one).
  await rejectsWithCode(ChannelRepository.Membership.addMembers(town.channelId, [ERIN, 'ch-nobody']), 400400,
    'addMembers naming a user that does not exist');
  assert.equal((await fetchChannel(town.channelId)).memberCount, 4);

  // Pages of two: newest first (the SDK's default sort is lastCreated).
  await sdk.flushLocalEvents();
  const col = sdk.openCollection((cb) => ChannelRepository.Membership.getMembers({ channelId: town.channelId, limit: 2 }, cb));
  try {
    const first = await col.settled();
    assert.equal(first.error, undefined, `getMembers failed: ${first.error?.message}`);
    assert.equal(first.data.length, 2);
    assert.equal(first.hasNextPage, true);
    first.onNextPage();
    const second = await col.waitFor((s) => !s.loading && s.data.length === 4, 'second page of members');
    assert.deepEqual(userIds(second.data), [BOB, CAROL, DAVE, OWNER]);
    assert.equal(second.hasNextPage, false);
  } finally {
    col.close();
  }

  assert.equal(await ChannelRepository.Membership.removeMembers(town.channelId, [DAVE]), true);
  members = await fetchMembers(town.channelId);
  assert.deepEqual(userIds(members), [BOB, CAROL, OWNER]);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 3);
});

test('banMembers keeps a user out until unbanMembers', async () => {
  const { ChannelRepository } = sdk.load();
  const { Moderation } = ChannelRepository;
  assert.equal(parley.newClient().userId, OWNER);

  const banned = await Moderation.banMembers(town.channelId, [CAROL]);
  assert.deepEqual(banned.data.map((m) => m.userId), [CAROL]);
  assert.equal(banned.data[0].membership, 'banned');
  assert.equal(banned.data[0].isBanned, true);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 2);

  assert.deepEqual(userIds(await fetchMembers(town.channelId, { memberships: ['banned'] })), [CAROL]);
  assert.deepEqual(userIds(await fetchMembers(town.channelId, { memberships: ['member'] })), [BOB, OWNER]);

  // Someone who never was a member can be banned too.
  const erin = await Moderation.banMembers(town.channelId, [ERIN]);
  assert.deepEqual(erin.data.map((m) => m.userId), [ERIN]);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 2);

  await rejectsWithCode(Moderation.banMembers(town.channelId, [OWNER]), 400306, 'banning the creator (oneself)');
  await rejectsWithCode(ChannelRepository.Membership.addMembers(town.channelId, [CAROL]), 400304, 'adding a banned user');

  await sdk.loginAs(CAROL);
  await rejectsWithCode(ChannelRepository.joinChannel(town.channelId), 400304, 'a banned user joining');

  await sdk.loginAs(OWNER);
  await Moderation.unbanMembers(town.channelId, [CAROL, ERIN]);
  assert.deepEqual(await fetchMembers(town.channelId, { memberships: ['banned'] }), []);
  // Unbanned is not a member again: membership none, so not listed.
  assert.deepEqual(userIds(await fetchMembers(town.channelId)), [BOB, OWNER]);
  await rejectsWithCode(Moderation.unbanMembers(town.channelId, [CAROL]), 400316, 'unbanning someone not banned');

  await sdk.loginAs(CAROL);
  assert.equal(await ChannelRepository.joinChannel(town.channelId), true);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 3);
});

test('addRole makes a moderator, who may then add members', async () => {
  const { ChannelRepository } = sdk.load();
  await sdk.loginAs(BOB);
  await rejectsWithCode(ChannelRepository.Membership.addMembers(town.channelId, [DAVE]), 400301,
    'a plain member adding someone to a community channel');
  await rejectsWithCode(ChannelRepository.Moderation.banMembers(town.channelId, [CAROL]), 400301,
    'a plain member banning');

  await sdk.loginAs(OWNER);
  assert.equal(await ChannelRepository.Moderation.addRole(town.channelId, MODERATOR, [BOB]), true);
  const mods = await fetchMembers(town.channelId, { roles: [MODERATOR] });
  assert.deepEqual(userIds(mods), [BOB, OWNER]);
  assert.deepEqual(memberOf(mods, BOB).roles, [MODERATOR]);

  await sdk.loginAs(BOB);
  assert.equal(await ChannelRepository.Membership.addMembers(town.channelId, [DAVE]), true);
  assert.deepEqual(userIds(await fetchMembers(town.channelId)), [BOB, CAROL, DAVE, OWNER]);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 4);

  // With a second moderator, the first may leave.
  await sdk.loginAs(OWNER);
  assert.equal(await ChannelRepository.leaveChannel(town.channelId), true);
  await sdk.loginAs(BOB);
  assert.equal((await fetchChannel(town.channelId)).memberCount, 3);
  assert.deepEqual(userIds(await fetchMembers(town.channelId, { roles: [MODERATOR] })), [BOB]);
});

test('muteMembers mutes a member for a period; unmuteMembers lifts it', async () => {
  const { ChannelRepository } = sdk.load();
  const { Moderation } = ChannelRepository;
  assert.equal(parley.newClient().userId, BOB);

  const before = Date.now();
  assert.equal(await Moderation.muteMembers(town.channelId, [CAROL], 600), true); // seconds
  let members = await fetchMembers(town.channelId);
  const carol = memberOf(members, CAROL);
  assert.equal(carol.isMuted, true);
  const until = Date.parse(carol.muteTimeout);
  assert.ok(until >= before + 590_000 && until <= Date.now() + 610_000,
    `muteTimeout ${carol.muteTimeout} must be about 10 minutes ahead`);
  assert.equal(memberOf(members, DAVE).isMuted, false);
  assert.deepEqual(userIds(await fetchMembers(town.channelId, { memberships: ['muted'] })), [CAROL]);

  assert.equal(await Moderation.unmuteMembers(town.channelId, [CAROL]), true);
  members = await fetchMembers(town.channelId);
  assert.equal(memberOf(members, CAROL).isMuted, false);

  await sdk.loginAs(DAVE);
  await rejectsWithCode(Moderation.muteMembers(town.channelId, [CAROL], 60), 400301, 'a plain member muting');
});
