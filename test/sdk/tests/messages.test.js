'use strict';
// Messages through the official SDK: send, list and page both ways, edit,
// delete, flag, replies, a muted member refused, and read markers with the
// unread count.
//
// The SDK has one client per process, so the tests log in as each user in turn
// (sdk.loginAs). The tests build on each other's state and run in file order.

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

const ALICE = 'msg-alice'; // creates the channels: their moderator
const BOB = 'msg-bob';
const CAROL = 'msg-carol';

let room; // the channel most tests talk in
let first; // Alice's first message in room

/** Asserts that promise rejects with an SDK error carrying the Amity code. */
async function rejectsWithCode(promise, code, what) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `${what}: expected error code ${code}, got ${err.code}: ${err.message}`);
    return true;
  }, `${what} must fail with ${code}`);
}

const text = (t) => ({ dataType: 'text', data: { text: t } });
const texts = (messages) => messages.map((m) => m.data?.text);

/** Sends a text message to the channel's default sub-channel as the logged-in user. */
async function send(channel, t, extra = {}) {
  const { MessageRepository } = sdk.load();
  const { data } = await MessageRepository.createMessage({ subChannelId: channel.defaultSubChannelId, ...text(t), ...extra });
  return data;
}

/**
 * A live object as the server delivers it. The SDK answers from its cache
 * without asking the server while its copy is less than a minute old; the
 * tests check the server, so they drop the cached kind first (dropFromCache
 * is public SDK API).
 */
async function fromServer(kind, subscribe) {
  const { dropFromCache } = sdk.load();
  dropFromCache([kind, 'get']);
  const snap = await sdk.firstServerSnapshot(subscribe);
  assert.equal(snap.error, undefined, `${kind} read failed: ${snap.error?.code} ${snap.error?.message}`);
  assert.ok(snap.data, `no ${kind} delivered`);
  return snap.data;
}

const fetchMessage = (id) => fromServer('message', (cb) => sdk.load().MessageRepository.getMessage(id, cb));
const fetchChannel = (id) => fromServer('channel', (cb) => sdk.load().ChannelRepository.getChannel(id, cb));

/** The first page of getMessages as the server answers it. */
async function fetchMessages(params) {
  const { MessageRepository } = sdk.load();
  const snap = await sdk.fetchCollection((cb) => MessageRepository.getMessages({ limit: 20, ...params }, cb));
  assert.equal(snap.error, undefined, `getMessages(${JSON.stringify(params)}) failed: ${snap.error?.code} ${snap.error?.message}`);
  return snap.data;
}

test('createMessage sends a text message to the channel', async () => {
  const { ChannelRepository } = sdk.load();
  for (const id of [BOB, CAROL]) await parley.ensureUser(id, `User ${id}`);
  parley.newClient();
  const me = await sdk.loginAs(ALICE, 'Alice Sender');
  ({ data: room } = await ChannelRepository.createChannel({
    type: 'community', displayName: 'Message Room', userIds: [BOB, CAROL], isPublic: true,
  }));

  first = await send(room, 'hello, room', { tags: ['greeting'], metadata: { mood: 'happy' } });
  assert.match(first.messageId, HEX24);
  assert.equal(first.subChannelId, room.defaultSubChannelId);
  assert.equal(first.channelId, room.channelId, 'a message names its channel by the public id');
  assert.equal(first.dataType, 'text');
  assert.deepEqual(first.data, { text: 'hello, room' });
  assert.deepEqual(first.tags, ['greeting']);
  assert.deepEqual(first.metadata, { mood: 'happy' });
  assert.equal(first.creatorId, ALICE, 'creatorId (from creatorPublicId) is the sender\'s userId');
  assert.equal(first.creator?.userId, ALICE, 'the sender comes with the message');
  // The raw creatorId is the sender's _id: the SDK compares it with the active
  // user's _id to recognise its own messages. The public object hides it; the
  // cache (public SDK API) keeps it as creatorPrivateId.
  const cached = sdk.load().pullFromCache(['message', 'get', first.referenceId ?? first.messageId]);
  assert.equal(cached?.data?.creatorPrivateId, me._id, 'creatorId on the wire is the sender\'s _id');
  assert.equal(first.channelSegment, 1, 'the first message of a feed has segment 1');
  assert.equal(first.isDeleted, false);
  assert.equal(first.syncState, 'synced');
  assert.ok(first.referenceId, 'the server echoes the SDK\'s referenceId');

  const second = await send(room, 'anyone here?');
  assert.equal(second.channelSegment, 2, 'segments count up per feed');

  const listed = await fetchMessages({ subChannelId: room.defaultSubChannelId, sortBy: 'segmentAsc' });
  assert.deepEqual(texts(listed), ['hello, room', 'anyone here?']);
  assert.deepEqual(listed.map((m) => m.messageId), [first.messageId, second.messageId]);

  // Another member sees them too.
  await sdk.loginAs(BOB);
  const seen = await fetchMessages({ subChannelId: room.defaultSubChannelId, sortBy: 'segmentDesc' });
  assert.deepEqual(texts(seen), ['anyone here?', 'hello, room']);
  const reply = await send(room, 'hi Alice');
  assert.equal(reply.creatorId, BOB);
  assert.equal(reply.channelSegment, 3);

  // Bad input: an empty text is refused; nothing is stored.
  await rejectsWithCode(send(room, ''), 400000, 'an empty text message');
  assert.equal((await fetchMessages({ subChannelId: room.defaultSubChannelId })).length, 3);
});

test('getMessages pages older and newer messages with onNextPage and onPrevPage', async () => {
  const { ChannelRepository, MessageRepository } = sdk.load();
  await sdk.loginAs(ALICE);
  const { data: pages } = await ChannelRepository.createChannel({ type: 'community', displayName: 'Pages' });
  const sent = [];
  for (let i = 1; i <= 7; i++) sent.push(await send(pages, `m${i}`));
  const subChannelId = pages.defaultSubChannelId;

  /** Opens getMessages, then loads pages while `more(snapshot)` says so, recording each page's texts. */
  async function walk(params, direction) {
    await sdk.flushLocalEvents();
    const col = sdk.openCollection((cb) => MessageRepository.getMessages({ subChannelId, ...params }, cb));
    try {
      let snap = await col.settled();
      assert.equal(snap.error, undefined, `getMessages(${JSON.stringify(params)}) failed: ${snap.error?.message}`);
      const seen = [texts(snap.data)];
      const has = direction === 'next' ? 'hasNextPage' : 'hasPrevPage';
      while (snap[has]) {
        const size = snap.data.length;
        (direction === 'next' ? snap.onNextPage : snap.onPrevPage)();
        snap = await col.waitFor((s) => !s.loading && (s.error || s.data.length > size), `a ${direction} page after ${size} messages`);
        assert.equal(snap.error, undefined, `a ${direction} page failed: ${snap.error?.message}`);
        seen.push(texts(snap.data));
        assert.ok(seen.length <= 10, 'paging must end');
      }
      return { seen, last: snap };
    } finally {
      col.close();
    }
  }

  // Newest first, then older pages.
  const desc = await walk({ sortBy: 'segmentDesc', limit: 3 }, 'next');
  assert.deepEqual(desc.seen, [
    ['m7', 'm6', 'm5'],
    ['m7', 'm6', 'm5', 'm4', 'm3', 'm2'],
    ['m7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1'],
  ]);
  assert.equal(desc.last.hasPrevPage, false, 'the newest-first first page has no previous page');

  // Oldest first, then newer pages.
  const asc = await walk({ sortBy: 'segmentAsc', limit: 3 }, 'next');
  assert.deepEqual(asc.seen, [
    ['m1', 'm2', 'm3'],
    ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'],
    ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'],
  ]);

  // Jump to a message in the middle, then page both ways from it.
  await sdk.flushLocalEvents();
  const col = sdk.openCollection((cb) => MessageRepository.getMessages(
    { subChannelId, sortBy: 'segmentDesc', aroundMessageId: sent[3].messageId, limit: 3 }, cb));
  try {
    const around = await col.settled();
    assert.equal(around.error, undefined, `getMessages(around) failed: ${around.error?.message}`);
    assert.deepEqual(texts(around.data), ['m5', 'm4', 'm3'], 'a page around m4 holds it and its neighbours');
    assert.equal(around.hasNextPage, true, 'older messages remain');
    assert.equal(around.hasPrevPage, true, 'newer messages remain');

    around.onNextPage();
    const older = await col.waitFor((s) => !s.loading && s.data.length > 3, 'older page');
    assert.deepEqual(texts(older.data), ['m5', 'm4', 'm3', 'm2', 'm1']);
    assert.equal(older.hasNextPage, false);

    older.onPrevPage();
    const newer = await col.waitFor((s) => !s.loading && s.data.length > 5, 'newer page');
    assert.deepEqual(texts(newer.data), ['m7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1']);
    assert.equal(newer.hasPrevPage, false);
  } finally {
    col.close();
  }
});

test('editMessage changes the text; only its sender may edit it', async () => {
  const { MessageRepository } = sdk.load();
  assert.equal(parley.newClient().userId, ALICE);
  const { data: edited } = await MessageRepository.editMessage(first.messageId, { data: { text: 'hello, everyone' } });
  assert.equal(edited.messageId, first.messageId);
  assert.deepEqual(edited.data, { text: 'hello, everyone' });
  assert.ok(edited.editedAt, 'an edited message has editedAt');
  assert.ok(Date.parse(edited.editedAt) >= Date.parse(first.createdAt));
  assert.equal(edited.channelSegment, first.channelSegment, 'editing keeps the segment');

  const got = await fetchMessage(first.messageId);
  assert.deepEqual(got.data, { text: 'hello, everyone' });
  assert.deepEqual(got.tags, ['greeting'], 'a patch without tags keeps them');

  // updateMessage is the other name of the same call.
  const { data: again } = await MessageRepository.updateMessage(first.messageId, { data: { text: 'hello, all' } });
  assert.deepEqual(again.data, { text: 'hello, all' });

  await sdk.loginAs(BOB);
  await rejectsWithCode(MessageRepository.editMessage(first.messageId, { data: { text: 'hijacked' } }), 400301,
    'editing someone else\'s message');
  assert.deepEqual((await fetchMessage(first.messageId)).data, { text: 'hello, all' });
});

test('a reply names its parent with parentId and counts as the parent\'s child', async () => {
  assert.equal(parley.newClient().userId, BOB);
  const reply = await send(room, 'replying to the first one', { parentId: first.messageId });
  assert.equal(reply.parentId, first.messageId);
  assert.equal(reply.subChannelId, room.defaultSubChannelId);

  const thread = await fetchMessages({ subChannelId: room.defaultSubChannelId, parentId: first.messageId });
  assert.deepEqual(thread.map((m) => m.messageId), [reply.messageId]);
  assert.equal((await fetchMessage(first.messageId)).childrenNumber, 1);

  await rejectsWithCode(send(room, 'orphan', { parentId: '000000000000000000000000' }), 400400,
    'a reply to a message that does not exist');
});

test('flagMessage flags a message for moderators', async () => {
  const { MessageRepository } = sdk.load();
  assert.equal(parley.newClient().userId, BOB);
  assert.equal(await MessageRepository.isMessageFlaggedByMe(first.messageId), false);
  assert.equal(await MessageRepository.flagMessage(first.messageId), true);
  assert.equal(await MessageRepository.isMessageFlaggedByMe(first.messageId), true);
  assert.equal((await fetchMessage(first.messageId)).flagCount, 1);

  await sdk.loginAs(ALICE);
  assert.equal(await MessageRepository.isMessageFlaggedByMe(first.messageId), false, 'flags are per user');
  const flagged = await fetchMessages({ subChannelId: room.defaultSubChannelId, hasFlags: true });
  assert.deepEqual(flagged.map((m) => m.messageId), [first.messageId]);

  await sdk.loginAs(BOB);
  assert.equal(await MessageRepository.unflagMessage(first.messageId), true);
  assert.equal(await MessageRepository.isMessageFlaggedByMe(first.messageId), false);
  assert.equal((await fetchMessage(first.messageId)).flagCount, 0);
});

test('deleteMessage and softDeleteMessage delete; deleted messages leave the list', async () => {
  const { MessageRepository } = sdk.load();
  await sdk.loginAs(ALICE);
  const doomed = await send(room, 'delete me');
  const alsoDoomed = await send(room, 'delete me too');

  await sdk.loginAs(BOB);
  await rejectsWithCode(MessageRepository.deleteMessage(doomed.messageId), 400301, 'deleting someone else\'s message');

  await sdk.loginAs(ALICE);
  const deleted = await MessageRepository.deleteMessage(doomed.messageId);
  assert.equal(deleted.messageId, doomed.messageId);
  assert.equal(deleted.isDeleted, true);

  // softDeleteMessage reads the message back after the delete: the server still serves it.
  const soft = await MessageRepository.softDeleteMessage(alsoDoomed.messageId);
  assert.equal(soft.messageId, alsoDoomed.messageId);
  assert.equal(soft.isDeleted, true);

  const listed = await fetchMessages({ subChannelId: room.defaultSubChannelId, sortBy: 'segmentAsc' });
  assert.ok(!listed.some((m) => m.messageId === doomed.messageId || m.messageId === alsoDoomed.messageId),
    `deleted messages must not be listed: ${JSON.stringify(texts(listed))}`);
  const withDeleted = await fetchMessages({ subChannelId: room.defaultSubChannelId, sortBy: 'segmentAsc', includeDeleted: true });
  const gone = withDeleted.filter((m) => m.isDeleted).map((m) => m.messageId);
  assert.deepEqual(gone, [doomed.messageId, alsoDoomed.messageId]);
});

test('a muted member cannot send (400302) until unmuted', async () => {
  const { ChannelRepository } = sdk.load();
  assert.equal(parley.newClient().userId, ALICE);
  assert.equal(await ChannelRepository.Moderation.muteMembers(room.channelId, [CAROL], 600), true);

  await sdk.loginAs(CAROL);
  await rejectsWithCode(send(room, 'can you hear me?'), 400302, 'a muted member sending');
  const listed = await fetchMessages({ subChannelId: room.defaultSubChannelId });
  assert.ok(!texts(listed).includes('can you hear me?'), 'the refused message must not be stored');

  await sdk.loginAs(ALICE);
  assert.equal(await ChannelRepository.Moderation.unmuteMembers(room.channelId, [CAROL]), true);
  await sdk.loginAs(CAROL);
  const ok = await send(room, 'now you can');
  assert.equal(ok.creatorId, CAROL);
});

test('the unread count follows new messages and markAsRead', async () => {
  const { ChannelRepository, SubChannelRepository } = sdk.load();
  await sdk.loginAs(ALICE);
  const { data: inbox } = await ChannelRepository.createChannel({ type: 'community', displayName: 'Inbox', userIds: [BOB] });
  for (const t of ['one', 'two', 'three']) await send(inbox, t);

  await sdk.loginAs(BOB);
  let ch = await fetchChannel(inbox.channelId);
  assert.equal(ch.unreadCount, 3, 'three messages Bob has not read');
  assert.equal(ch.subChannelsUnreadCount, 3);

  const sub = await fromServer('subChannel', (cb) => SubChannelRepository.getSubChannel(inbox.defaultSubChannelId, cb));
  assert.equal(sub.subChannelId, inbox.defaultSubChannelId);
  assert.equal(sub.channelId, inbox.channelId);
  assert.equal(sub.messageCount, 3);

  assert.equal(await ch.markAsRead(), true);
  ch = await fetchChannel(inbox.channelId);
  assert.equal(ch.unreadCount, 0, 'nothing unread after markAsRead');

  await sdk.loginAs(ALICE);
  await send(inbox, 'four');
  await sdk.loginAs(BOB);
  ch = await fetchChannel(inbox.channelId);
  assert.equal(ch.unreadCount, 1, 'one message since Bob read the channel');

  // A user's own messages are not unread for them.
  await sdk.loginAs(ALICE);
  assert.equal((await fetchChannel(inbox.channelId)).unreadCount, 0);
});
