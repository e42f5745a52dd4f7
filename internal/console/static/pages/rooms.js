// Live rooms: list by status, view participants, remove a co-host, stop a room.
'use strict';
(() => {
  const { api, h, table, action, searchList, when } = Console;
  const statuses = ['idle', 'live', 'waitingReconnect', 'ended', 'recorded', 'terminated'];

  function list(view) {
    const form = h('form', { class: 'search', id: 'room-search' },
      h('select', { name: 'status', 'aria-label': 'Status' },
        h('option', { value: '' }, 'any status'), statuses.map((s) => h('option', { value: s }, s))),
      h('button', { type: 'submit' }, 'Show'));
    searchList(view, form, {
      path: '/api/v1/rooms', key: 'rooms', tableId: 'rooms-table',
      query: (f) => ({ statuses: f.status.value ? [f.status.value] : undefined, sortBy: 'lastCreated', 'options[limit]': 20 }),
      columns: [
        ['Room', (r) => h('a', { href: '#/rooms/' + encodeURIComponent(r.roomId) }, r.title || r.roomId)],
        ['Type', (r) => r.type],
        ['Status', (r) => h('span', { class: 'status ' + r.status }, r.status)],
        ['Participants', (r) => r.participants.length],
        ['Host', (r) => r.createdBy],
        ['Live since', (r) => when(r.liveAt)],
      ],
    });
  }

  async function detail(view, roomId) {
    const box = h('div', { id: 'room-detail' });
    view.append(h('p', null, h('a', { href: '#/rooms' }, '← all rooms')), box);
    const show = async () => {
      const r = (await api('GET', '/api/v1/rooms/' + encodeURIComponent(roomId))).rooms[0];
      const ended = ['ended', 'recorded', 'terminated'].includes(r.status);
      box.replaceChildren(
        h('dl', null,
          h('dt', null, 'Room id'), h('dd', null, r.roomId),
          h('dt', null, 'Title'), h('dd', null, r.title),
          h('dt', null, 'Status'), h('dd', null, h('span', { class: 'status ' + r.status }, r.status)),
          h('dt', null, 'Type'), h('dd', null, r.type),
          h('dt', null, 'Created by'), h('dd', null, r.createdBy),
          h('dt', null, 'Live'), h('dd', null, when(r.liveAt) + ' → ' + when(r.endedAt)),
          h('dt', null, 'Live chat channel'), h('dd', null, r.liveChannelId
            ? h('a', { href: '#/channels/' + encodeURIComponent(r.liveChannelId) }, r.liveChannelId) : '—')),
        h('h3', null, 'Participants'),
        table([
          ['User', (p) => h('a', { href: '#/users/' + encodeURIComponent(p.userId) }, p.userId)],
          ['Role', (p) => p.type],
          ['Actions', (p) => p.type === 'host' ? '' : action('Remove',
            () => api('DELETE', '/api/v1/rooms/' + encodeURIComponent(roomId) + '/participants/' + encodeURIComponent(p.userId)),
            { confirm: 'remove ' + p.userId, done: show })],
        ], r.participants, { id: 'participants-table' }),
        h('div', { class: 'actions' }, ended ? null : action('Stop room',
          () => api('POST', '/api/v1/rooms/' + encodeURIComponent(roomId) + '/stop'),
          { confirm: 'end the broadcast', danger: true, done: show })));
    };
    await show();
  }

  Console.page({
    id: 'rooms', title: 'Live rooms', order: 30,
    render: (view, [roomId]) => roomId ? detail(view, roomId) : list(view),
  });
})();
