// Moderation queue: flagged users (GET /api/v3/users?filter=flagged) and flagged messages
// of every channel (GET /api/v1/moderation/flagged-messages), with their actions, and the
// moderation audit log (#/moderation/audit). It also gives the users page its global ban
// and delete buttons, through Console.userActions.
'use strict';
(() => {
  const { api, h, table, action, pager, when } = Console;
  const path = (id) => encodeURIComponent(id);

  // The calls, shared by the queue and the users page.
  const ban = (userId) => api('POST', '/api/v2/users/ban', { body: { userId } });
  const unban = (userId) => api('POST', '/api/v2/users/unban', { body: { userId } });
  const deleteUser = (userId) => api('DELETE', '/api/v4/users/' + path(userId));
  const clearUserFlags = (userId) => api('DELETE', '/api/v2/users/' + path(userId) + '/flags');
  const clearMessageFlags = (messageId) => api('DELETE', '/api/v5/messages/' + path(messageId) + '/flags/all');
  const deleteMessage = (messageId) => api('DELETE', '/api/v5/messages/' + path(messageId));

  function banButton(u, done) {
    return u.isGlobalBan
      ? action('Global unban', () => unban(u.userId), { done })
      : action('Global ban', () => ban(u.userId), { confirm: 'ban ' + u.userId + ' everywhere', danger: true, done });
  }

  function deleteButton(u, done) {
    if (u.isDeleted) return null;
    return action('Delete user', () => deleteUser(u.userId), { confirm: 'delete ' + u.userId, danger: true, done });
  }

  Console.userActions.push(banButton, deleteButton);

  // A message's text as the queue shows it: the text of text messages, else its type.
  function content(m) {
    if (m.data && typeof m.data.text === 'string') return m.data.text;
    return '(' + m.dataType + ')';
  }

  function queue(view) {
    view.append(h('p', null, 'What users reported. Clearing the flags takes an item out of the queue; every act is in the ',
      h('a', { href: '#/moderation/audit', id: 'audit-link' }, 'moderation audit log'), '.'));

    const users = h('div', { id: 'flagged-users' });
    const messages = h('div', { id: 'flagged-messages' });
    view.append(h('h3', null, 'Flagged users'), users, h('h3', null, 'Flagged messages'), messages);

    // Later pages send the filter again with the token, as the SDK does.
    const userList = pager(users, async (tok) => {
      const out = await api('GET', '/api/v3/users', {
        query: Object.assign({ filter: 'flagged', sortBy: 'lastCreated' }, tok ? { 'options[token]': tok } : { 'options[limit]': 20 }),
      });
      return { rows: out.users, next: out.paging && out.paging.next };
    }, (rows) => table([
      ['User id', (u) => h('a', { href: '#/users/' + path(u.userId) }, u.userId)],
      ['Display name', (u) => u.displayName],
      ['Flags', (u) => u.flagCount],
      ['Banned', (u) => u.isGlobalBan ? 'globally' : ''],
      ['Actions', (u) => h('span', { class: 'actions', 'data-user': u.userId },
        action('Clear flags', () => clearUserFlags(u.userId), { done: () => userList.reload() }),
        banButton(u, () => userList.reload()),
        deleteButton(u, () => { userList.reload(); messageList.reload(); }))],
    ], rows, { id: 'flagged-users-table' }));

    const messageList = pager(messages, async (tok) => {
      const out = await api('GET', '/api/v1/moderation/flagged-messages', { query: tok ? { 'options[token]': tok } : { 'options[limit]': 20 } });
      const names = new Map(out.users.map((u) => [u.userId, u.displayName]));
      return { rows: out.messages.map((m) => Object.assign({ authorName: names.get(m.creatorPublicId) }, m)), next: out.paging && out.paging.next };
    }, (rows) => table([
      ['Message', (m) => h('span', { class: 'message-text' }, content(m))],
      ['Channel', (m) => h('a', { href: '#/channels/' + path(m.channelPublicId) }, m.channelPublicId)],
      ['Author', (m) => h('a', { href: '#/users/' + path(m.creatorPublicId) }, m.creatorPublicId)],
      ['Flags', (m) => m.flagCount],
      ['Sent', (m) => when(m.createdAt)],
      ['Actions', (m) => h('span', { class: 'actions', 'data-message': m.messageId },
        action('Clear flags', () => clearMessageFlags(m.messageId), { done: () => messageList.reload() }),
        action('Delete message', () => deleteMessage(m.messageId), { confirm: 'delete this message', danger: true, done: () => messageList.reload() }))],
    ], rows, { id: 'flagged-messages-table' }));
  }

  // The audit log, newest first, by actor or target.
  function audit(view) {
    const form = h('form', { class: 'search', id: 'audit-search' },
      h('input', { name: 'actorId', placeholder: 'actor user id', 'aria-label': 'Actor' }),
      h('input', { name: 'targetId', placeholder: 'target id', 'aria-label': 'Target' }),
      h('button', { type: 'submit' }, 'Filter'));
    const results = h('div');
    view.append(h('p', null, h('a', { href: '#/moderation' }, '← moderation queue')), form, results);
    const show = () => {
      results.replaceChildren();
      const first = { actorId: form.actorId.value, targetId: form.targetId.value };
      pager(results, async (tok) => {
        const out = await api('GET', '/api/v1/moderation/audit-log', { query: Object.assign({}, first, tok ? { 'options[token]': tok } : { 'options[limit]': 50 }) });
        return { rows: out.auditEntries, next: out.paging && out.paging.next };
      }, (rows) => table([
        ['When', (e) => when(e.createdAt)],
        ['Action', (e) => e.action],
        ['Actor', (e) => e.actorId],
        ['Target', (e) => e.targetType + ' ' + e.targetId],
        ['Channel', (e) => e.channelId],
        ['Reason', (e) => e.reason],
        ['Detail', (e) => h('code', null, JSON.stringify(e.detail))],
      ], rows, { id: 'audit-table' }));
    };
    form.addEventListener('submit', (ev) => { ev.preventDefault(); show(); });
    show();
  }

  Console.page({
    id: 'moderation', title: 'Moderation queue', order: 40,
    probe: '/api/v1/moderation/flagged-messages',
    missing: 'This server has no moderation queue.',
    render: (view, [sub]) => sub === 'audit' ? audit(view) : queue(view),
  });
})();
