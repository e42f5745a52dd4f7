// Push: the network's notification settings (docs/push.md). Switching one off stops
// those pushes for every user; users' own and per-channel switches are theirs.
'use strict';
(() => {
  const { api, h, table, action, flash } = Console;
  const path = '/api/v3/notification/setting';
  const save = (body) => api('POST', path, { body: Object.assign({ level: 'network' }, body) });
  Console.page({
    id: 'push', title: 'Push', order: 60,
    probe: path + '?level=network',
    render: async (view) => {
      const box = h('div', { id: 'push-settings' });
      view.append(box);
      const draw = async () => {
        const s = await api('GET', path, { query: { level: 'network' } });
        const saved = () => { flash('Saved.'); return draw(); };
        box.replaceChildren(
          h('p', { id: 'push-all' }, 'Push notifications for the network: ', h('strong', null, s.isPushNotifiable ? 'on' : 'off'), ' ',
            action(s.isPushNotifiable ? 'Turn off' : 'Turn on', () => save({ isPushNotifiable: !s.isPushNotifiable }), { done: saved })),
          table([
            ['Event', (e) => e.name],
            ['Pushed', (e) => (e.isPushNotifiable ? 'yes' : 'no')],
            ['', (e) => action(e.isPushNotifiable ? 'Turn off' : 'Turn on',
              () => save({ notifiableEvents: [{ moduleName: 'chat', name: e.name, isPushNotifiable: !e.isPushNotifiable }] }), { done: saved })],
          ], s.notifiableEvents, { id: 'push-events' }));
      };
      await draw();
    },
  });
})();
