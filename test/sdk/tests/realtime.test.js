'use strict';
// Real-time (MQTT over WebSocket at /mqtt) through the official SDK: events
// reach open live collections, lost access stops them, and the broker refuses
// subscriptions to other users' topics.
//
// Real-time is switched on for this file whatever the environment says. The
// SDK user (one per process) watches; the other users act through plain REST
// calls with their own sessions (parley.userToken), as other apps would.

process.env.PARLEY_SDK_RTE = '1'; // before lib/sdk is loaded: it reads the switch once

const { test } = require('node:test');
const assert = require('node:assert/strict');

const parley = require('../lib/server');
const sdk = require('../lib/sdk');

parley.useServer();

const ALICE = 'rt-alice';
const BOB = 'rt-bob';
const CAROL = 'rt-carol';
const DAVE = 'rt-dave';

const tokens = {}; // userId -> REST access token
let room; // Alice's channel with Bob and Carol
let side; // another channel of Alice's with Bob: the barrier for "nothing more arrives"

/** One REST call as userId; fails the test unless it answers 2xx. */
async function as(userId, method, path, body) {
  const res = await parley.api(method, path, { token: tokens[userId], body });
  assert.ok(res.status >= 200 && res.status < 300, `${userId} ${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** userId sends a text message to a channel's default feed over REST. */
function post(userId, channel, text) {
  return as(userId, 'POST', '/api/v5/messages', {
    messageFeedId: channel.defaultSubChannelId ?? channel.channelInternalId, dataType: 'text', data: { text },
  });
}

const texts = (snap) => snap.data.map((m) => m.data?.text);

/** Opens getMessages on a channel's default feed and waits for the server's first page. */
async function watchMessages(channel) {
  const { MessageRepository } = sdk.load();
  await sdk.flushLocalEvents();
  const col = sdk.openCollection((cb) => MessageRepository.getMessages(
    { subChannelId: channel.defaultSubChannelId, sortBy: 'segmentDesc', limit: 20 }, cb));
  const first = await col.settled();
  assert.equal(first.error, undefined, `getMessages failed: ${first.error?.message}`);
  return col;
}

test('a message another member sends appears in an open getMessages collection', async (t) => {
  const { ChannelRepository } = sdk.load();
  for (const id of [ALICE, BOB, CAROL, DAVE]) tokens[id] = await parley.userToken(id, { displayName: `User ${id}` });
  parley.newClient();
  await sdk.loginAs(ALICE);
  await sdk.realtimeReady();

  ({ data: room } = await ChannelRepository.createChannel({
    type: 'community', displayName: 'Live Room', userIds: [BOB, CAROL], isPublic: true,
  }));
  const col = await watchMessages(room);
  try {
    assert.deepEqual(texts(col.last), []);
    const sentAt = Date.now();
    await post(BOB, room, 'hello from bob');
    const snap = await col.waitFor((s) => texts(s).includes('hello from bob'), "Bob's message over MQTT", 5000);
    t.diagnostic(`message.created reached the open collection ${Date.now() - sentAt} ms after the POST was sent`);
    const msg = snap.data.find((m) => m.data?.text === 'hello from bob');
    assert.equal(msg.creatorId, BOB);
    assert.equal(msg.subChannelId, room.defaultSubChannelId);
    assert.equal(msg.channelId, room.channelId);

    // A second one lands on top (newest first), nothing is duplicated.
    await post(CAROL, room, 'and from carol');
    const two = await col.waitFor((s) => texts(s).includes('and from carol'), "Carol's message over MQTT", 5000);
    assert.deepEqual(texts(two), ['and from carol', 'hello from bob']);
  } finally {
    col.close();
  }
});

test('members who join or leave show up in an open getMembers collection', async () => {
  const { ChannelRepository } = sdk.load();
  assert.equal(parley.newClient().userId, ALICE);
  await sdk.flushLocalEvents();
  const col = sdk.openCollection((cb) => ChannelRepository.Membership.getMembers({ channelId: room.channelId, limit: 20 }, cb));
  const ids = (s) => s.data.map((m) => m.userId).sort();
  try {
    const first = await col.settled();
    assert.equal(first.error, undefined, `getMembers failed: ${first.error?.message}`);
    assert.deepEqual(ids(first), [ALICE, BOB, CAROL]);

    await as(CAROL, 'DELETE', `/api/v3/channels/${encodeURIComponent(room.channelId)}/leave`);
    const left = await col.waitFor((s) => !ids(s).includes(CAROL), 'Carol gone after channel.left', 5000);
    assert.deepEqual(ids(left), [ALICE, BOB]);

    await as(DAVE, 'POST', `/api/v3/channels/${encodeURIComponent(room.channelId)}/join`);
    const joined = await col.waitFor((s) => ids(s).includes(DAVE), 'Dave listed after channel.joined', 5000);
    assert.deepEqual(ids(joined), [ALICE, BOB, DAVE]);
    assert.equal(joined.data.find((m) => m.userId === DAVE).membership, 'member');
  } finally {
    col.close();
  }
});

/**
 * Records the text of every message.created the SDK receives over MQTT (on
 * any topic); waitFor(text) resolves once that text has arrived.
 */
function recordMqttMessages() {
  const { MessageRepository } = sdk.load();
  const seen = [];
  const waiters = [];
  const stop = MessageRepository.onMessageCreatedMqtt((m) => {
    seen.push(m.data?.text);
    for (const w of waiters.splice(0)) if (seen.includes(w.text)) w.resolve(); else waiters.push(w);
  });
  return {
    seen,
    stop,
    waitFor(text, timeoutMs = 5000) {
      if (seen.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`"${text}" did not arrive over MQTT within ${timeoutMs} ms; seen ${JSON.stringify(seen)}`)), timeoutMs);
        waiters.push({ text, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
  };
}

test('a banned member stops receiving the channel\'s messages', async (t) => {
  const { ChannelRepository, getChannelTopic } = sdk.load();
  assert.equal(parley.newClient().userId, ALICE);
  ({ data: side } = await ChannelRepository.createChannel({ type: 'community', displayName: 'Side Room', userIds: [BOB] }));

  // Bob watches through his smartfeed topics (automatic) and through the
  // room's own path (subscribed explicitly, as apps do for live channels).
  await sdk.loginAs(BOB);
  await sdk.realtimeReady();
  const roomTopic = getChannelTopic(room);
  const sub = await sdk.subscribe(roomTopic);
  assert.equal(sub.ok, true, `a member subscribing to ${roomTopic} was refused: ${sub.error?.message}`);

  const mqtt = recordMqttMessages();
  const col = await watchMessages(room);
  let stopBanned;
  try {
    await post(ALICE, room, 'before the ban');
    await col.waitFor((s) => texts(s).includes('before the ban'), 'the message before the ban', 5000);

    const banned = new Promise((resolve) => {
      stopBanned = ChannelRepository.onChannelMemberBanned((channel, member) => {
        if (member?.userId === BOB) resolve(member);
      });
    });
    const bannedAt = Date.now();
    await as(ALICE, 'PUT', `/api/v3/channels/${room.channelId}/users/ban`, { userIds: [BOB] });
    let timer;
    const member = await Promise.race([banned, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('Bob got no channel.banned event within 5 s')), 5000);
    })]).finally(() => clearTimeout(timer));
    t.diagnostic(`channel.banned reached the banned user ${Date.now() - bannedAt} ms after the ban request`);
    assert.equal(member.membership, 'banned');

    // The broker no longer lets him subscribe to the room's path. (A fresh
    // filter string: mqtt.js would answer the same filter again by itself.)
    const again = await sdk.subscribe(room.path, { expectRefusal: true });
    assert.equal(again.ok, false, `a banned user subscribing to ${room.path} must be refused`);

    // Messages after the ban reach him neither on his smartfeed nor on the
    // room's path he had subscribed to. The barrier: a later message in
    // another channel; events reach one connection in order.
    await post(ALICE, room, 'after the ban');
    await post(ALICE, side, 'barrier after the ban');
    await mqtt.waitFor('barrier after the ban');
    assert.ok(mqtt.seen.includes('before the ban'), `seen over MQTT: ${JSON.stringify(mqtt.seen)}`);
    assert.ok(!mqtt.seen.includes('after the ban'), `a banned user received "after the ban": ${JSON.stringify(mqtt.seen)}`);
    assert.ok(!col.snapshots.some((s) => texts(s).includes('after the ban')));
  } finally {
    stopBanned?.();
    mqtt.stop();
    col.close();
  }
});

test('subscribing to another user\'s topics, or to a channel one may not read, is refused', async () => {
  const { Client, UserRepository, getChannelTopic } = sdk.load();
  assert.equal(parley.newClient().userId, BOB);
  const me = Client.getActiveUser();
  const net = me.path.split('/user/')[0];
  sdk.load().dropFromCache(['user', 'get']); // else the SDK answers from its cache only
  const aliceSnap = await sdk.firstServerSnapshot((cb) => UserRepository.getUser(ALICE, cb));
  const alice = aliceSnap.data;
  assert.ok(alice?._id, `getUser(${ALICE}) failed: ${aliceSnap.error?.message}`);

  const refused = [
    `${net}/smartfeed/${alice._id}/messages`,
    `${net}/smartfeed/${alice._id}/channels`,
    `${net}/smartfeed/${alice._id}/messagefeeds`,
    `${net}/marker/user/${alice._id}`,
    alice.path,
    `${net}/smartfeed/+/messages`,
    `${net}/#`,
    '#',
    `${room.path}/+`, // Bob is banned from it (a filter not tried before: see sdk.subscribe)
  ];
  for (const topic of refused) {
    const r = await sdk.subscribe(topic, { expectRefusal: true });
    assert.equal(r.ok, false, `Bob subscribing to ${topic} must be refused`);
  }
  const allowed = [
    `${net}/smartfeed/${me._id}/messages`,
    `${net}/smartfeed/${me._id}/channels`,
    me.path,
    getChannelTopic(side), // a member
  ];
  for (const topic of allowed) {
    const r = await sdk.subscribe(topic);
    assert.equal(r.ok, true, `Bob subscribing to ${topic} was refused: ${r.error?.message}`);
  }

  // And the refusals are real: Alice's message in a channel only she is in
  // does not reach Bob, though it goes to her smartfeed.
  const { data: solo } = await parley.api('POST', '/api/v3/channels', {
    token: tokens[ALICE], body: { type: 'community', displayName: 'Alone' },
  }).then((res) => {
    assert.equal(res.status, 200, `create channel answered ${res.status}: ${JSON.stringify(res.body)}`);
    return { data: res.body.channels[0] };
  });
  const mqtt = recordMqttMessages();
  try {
    await post(ALICE, solo, 'only for alice');
    await post(ALICE, side, 'barrier for bob');
    await mqtt.waitFor('barrier for bob');
    assert.ok(!mqtt.seen.includes('only for alice'), `Bob received Alice's private message: ${JSON.stringify(mqtt.seen)}`);
  } finally {
    mqtt.stop();
  }
});
