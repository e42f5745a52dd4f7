// Users: search, view, network roles (PUT /api/v3/users), sign-out everywhere. Actions
// of other features join through Console.userActions: functions (user, done) that answer
// a button or null; moderation.js adds global ban/unban and delete.
'use strict';
(() => {
  const { api, h, action, searchList, when } = Console;

  function list(view) {
    const form = h('form', { class: 'search', id: 'user-search' },
      h('input', { name: 'keyword', placeholder: 'display name or user id', 'aria-label': 'Search users' }),
      h('select', { name: 'sortBy', 'aria-label': 'Sort' },
        h('option', { value: 'lastCreated' }, 'newest first'),
        h('option', { value: 'firstCreated' }, 'oldest first'),
        h('option', { value: 'displayName' }, 'by name')),
      h('button', { type: 'submit' }, 'Search'));
    searchList(view, form, {
      path: '/api/v3/users', key: 'users', tableId: 'users-table',
      query: (f) => ({ keyword: f.keyword.value, sortBy: f.sortBy.value, 'options[limit]': 20 }),
      columns: [
        ['User id', (u) => h('a', { href: '#/users/' + encodeURIComponent(u.userId) }, u.userId)],
        ['Display name', (u) => u.displayName],
        ['Roles', (u) => u.roles.join(', ')],
        ['Flags', (u) => u.flagCount],
        ['Banned', (u) => u.isGlobalBan ? 'globally' : ''],
        ['Created', (u) => when(u.createdAt)],
      ],
    });
  }

  async function detail(view, userId) {
    const info = h('div', { id: 'user-info' });
    view.append(h('p', null, h('a', { href: '#/users' }, '← all users')), info);
    const roles = await api('GET', '/api/v3/roles');

    // showInfo reads the user again after every action, so what shows is what the
    // server holds.
    const showInfo = async () => {
      const u = (await api('GET', '/api/v3/users/' + encodeURIComponent(userId))).users[0];
      // Network roles: a checkbox per role the server knows.
      const boxes = roles.roles.map((r) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', value: r.roleId, checked: u.roles.includes(r.roleId) }), ' ' + r.roleId));
      const actions = h('div', { class: 'actions', id: 'user-actions' },
        action('Sign out everywhere', () => api('DELETE', '/api/v4/sessions/users/' + encodeURIComponent(u.userId)),
          { confirm: 'revoke every session of ' + u.userId, danger: true }));
      // Global ban and delete come from the moderation page's file (moderation.js).
      for (const extra of Console.userActions) {
        const el = extra(u, showInfo);
        if (el) actions.append(el);
      }
      info.replaceChildren(
        h('dl', { id: 'user-detail' },
          h('dt', null, 'User id'), h('dd', null, u.userId),
          h('dt', null, 'Display name'), h('dd', null, u.displayName || '—'),
          h('dt', null, 'Internal id'), h('dd', null, h('code', null, u._id)),
          h('dt', null, 'Created'), h('dd', null, when(u.createdAt)),
          h('dt', null, 'Flags'), h('dd', null, u.flagCount),
          h('dt', null, 'Globally banned'), h('dd', { id: 'user-banned' }, u.isGlobalBan ? 'yes' : 'no'),
          h('dt', null, 'Deleted'), h('dd', { id: 'user-deleted' }, u.isDeleted ? 'yes' : 'no'),
          h('dt', null, 'Metadata'), h('dd', null, h('pre', null, JSON.stringify(u.metadata, null, 2)))),
        h('h3', null, 'Roles'), h('div', { id: 'user-roles' }, boxes),
        action('Save roles', () => api('PUT', '/api/v3/users', {
          body: { userId: u.userId, roles: boxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value) },
        }), { done: showInfo }),
        h('h3', null, 'Actions'), actions);
    };
    await showInfo();
  }

  Console.page({
    id: 'users', title: 'Users', order: 10,
    render: (view, [userId]) => userId ? detail(view, userId) : list(view),
  });
})();
