// Moderation queue (flagged messages and users, with their actions): the endpoints come
// with the moderation work (issue 14). Until the server answers the probe path the nav
// entry says "not available on this server". Write the real page here then.
'use strict';
Console.placeholder({
  id: 'moderation', title: 'Moderation queue', order: 40,
  probe: '/api/v1/moderation/flags',
  missing: 'Flagged messages and users appear here once the server has the moderation endpoints.',
});
