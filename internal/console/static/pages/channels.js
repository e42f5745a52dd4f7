// Channels: search, view, members (ban/unban, mute/unmute, remove), mute the channel,
// delete it.
'use strict';
(() => {
  const { api, h, table, action, pager, searchList, when } = Console;
  const path = (id) => encodeURIComponent(id);

  function list(view) {
    const form = h('form', { class: 'search', id: 'channel-search' },
      h('input', { name: 'keyword', placeholder: 'channel name', 'aria-label': 'Search channels' }),
      h('select', { name: 'type', 'aria-label': 'Type' },
        h('option', { value: '' }, 'all types'),
        ['community', 'live', 'broadcast', 'conversation'].map((t) => h('option', { value: t }, t))),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'deleted' }), ' deleted only'),
      h('button', { type: 'submit' }, 'Search'));
    searchList(view, form, {
      path: '/api/v3/channels', key: 'channels', tableId: 'channels-table',
      query: (f) => ({
        keyword: f.keyword.value, types: f.type.value ? [f.type.value] : undefined,
        isDeleted: f.deleted.checked ? 'true' : undefined, sortBy: 'lastCreated', 'options[limit]': 20,
      }),
      columns: [
        ['Channel id', (c) => h('a', { href: '#/channels/' + path(c.channelId) }, c.channelId)],
        ['Name', (c) => c.displayName],
        ['Type', (c) => c.type],
        ['Members', (c) => c.memberCount],
        ['Messages', (c) => c.messageCount],
        ['State', (c) => [c.isDeleted ? 'deleted' : '', c.isMuted ? 'muted' : ''].filter(Boolean).join(', ')],
        ['Last activity', (c) => when(c.lastActivity)],
      ],
    });
  }

  async function detail(view, channelId) {
    const info = h('div', { id: 'channel-info' });
    const members = h('div', { id: 'channel-members' });
    view.append(h('p', null, h('a', { href: '#/channels' }, '← all channels')), info, members);

    const showInfo = async () => {
      const c = (await api('GET', '/api/v3/channels/' + path(channelId))).channels[0];
      info.replaceChildren(
        h('dl', null,
          h('dt', null, 'Channel id'), h('dd', null, c.channelId),
          h('dt', null, 'Name'), h('dd', null, c.displayName || '—'),
          h('dt', null, 'Type'), h('dd', null, c.type),
          h('dt', null, 'Members'), h('dd', { id: 'member-count' }, c.memberCount),
          h('dt', null, 'Messages'), h('dd', null, c.messageCount),
          h('dt', null, 'Muted'), h('dd', null, c.isMuted ? 'until ' + when(c.muteTimeout) : 'no'),
          h('dt', null, 'Deleted'), h('dd', null, c.isDeleted ? 'yes, ' + when(c.deletedAt) : 'no'),
          h('dt', null, 'Created'), h('dd', null, when(c.createdAt))),
        h('div', { class: 'actions' },
          c.isMuted
            ? action('Unmute channel', () => api('PUT', '/api/v2/channel/' + path(channelId) + '/mute', { body: { mutePeriod: 0 } }), { done: showInfo })
            : action('Mute channel 1 h', () => api('PUT', '/api/v2/channel/' + path(channelId) + '/mute', { body: { mutePeriod: 3600000 } }), { done: showInfo }),
          c.isDeleted ? null : action('Delete channel', () => api('DELETE', '/api/v3/channels/' + path(channelId)),
            { confirm: 'delete ' + channelId, danger: true, done: showInfo })));
    };
    await showInfo();

    // Members by membership: the list re-reads after every action, so what the server
    // now holds is what shows.
    const tabs = h('div', { class: 'tabs', role: 'tablist' });
    const list = h('div', { id: 'member-list' });
    members.append(h('h3', null, 'Members'), tabs, list);
    let membership = 'member';
    const call = (verb, userId, body) => api('PUT', '/api/v3/channels/' + path(channelId) + '/users/' + verb, { body: Object.assign({ userIds: [userId] }, body) });
    const mute = (userId, period) => api('PUT', '/api/v2/channel/' + path(channelId) + '/users/mute', { body: { userIds: [userId], mutePeriod: period } });
    const refresh = async () => { await showInfo(); showMembers(); };
    const showMembers = () => {
      list.replaceChildren();
      for (const b of tabs.children) b.classList.toggle('current', b.dataset.membership === membership);
      pager(list, async (tok) => {
        const q = tok ? { 'options[token]': tok } : { memberships: [membership], 'options[limit]': 50 };
        const out = await api('GET', '/api/v4/channels/' + path(channelId) + '/users', { query: q });
        const names = new Map(out.users.map((u) => [u.userId, u.displayName]));
        return { rows: out.channelUsers.map((m) => Object.assign({ displayName: names.get(m.userId) }, m)), next: out.paging && out.paging.next };
      }, (rows) => table([
        ['User', (m) => h('a', { href: '#/users/' + path(m.userId) }, m.userId)],
        ['Name', (m) => m.displayName || ''],
        ['Roles', (m) => m.roles.join(', ')],
        ['Muted', (m) => m.isMuted ? 'until ' + when(m.muteTimeout) : ''],
        ['Since', (m) => when(m.createdAt)],
        ['Actions', (m) => h('span', { class: 'actions', 'data-user': m.userId },
          m.membership === 'banned'
            ? action('Unban', () => call('unban', m.userId), { done: refresh })
            : action('Ban', () => call('ban', m.userId), { confirm: 'ban ' + m.userId, danger: true, done: refresh }),
          m.membership === 'member' && (m.isMuted
            ? action('Unmute', () => mute(m.userId, 0), { done: refresh })
            : action('Mute 1 h', () => mute(m.userId, 3600000), { done: refresh })),
          m.membership === 'member' && action('Remove', () => api('DELETE', '/api/v3/channels/' + path(channelId) + '/users', { body: { userIds: [m.userId] } }),
            { confirm: 'remove ' + m.userId, done: refresh }))],
      ], rows, { id: 'members-table' }));
    };
    for (const [value, label] of [['member', 'Members'], ['banned', 'Banned'], ['muted', 'Muted']]) {
      tabs.append(h('button', { type: 'button', role: 'tab', 'data-membership': value, onclick: () => { membership = value; showMembers(); } }, label));
    }
    showMembers();
  }

  Console.page({
    id: 'channels', title: 'Channels', order: 20,
    render: (view, [channelId]) => channelId ? detail(view, channelId) : list(view),
  });
})();
