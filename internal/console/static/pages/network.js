// Network settings: the chat settings the SDK reads, and the roles with their
// permissions.
'use strict';
(() => {
  const { api, h, table } = Console;
  Console.page({
    id: 'network', title: 'Network settings', order: 70,
    render: async (view) => {
      const [settings, roles] = await Promise.all([
        api('GET', '/api/v3/network-settings/chat'),
        api('GET', '/api/v3/roles'),
      ]);
      view.append(h('h3', null, 'Chat settings'), h('pre', { id: 'chat-settings' }, JSON.stringify(settings, null, 2)),
        h('h3', null, 'Roles'), table([
          ['Role', (r) => r.roleId],
          ['Permissions', (r) => r.permissions.join(', ')],
        ], roles.roles, { id: 'roles-table' }));
    },
  });
})();
