// Push settings (the network's notification settings): the endpoints come with the push
// work (issue 15). Until the server answers the probe path the nav entry says "not
// available on this server". Write the real page here then.
'use strict';
Console.placeholder({
  id: 'push', title: 'Push', order: 60,
  probe: '/api/v3/notification/setting?level=network',
  missing: 'Push notification settings appear here once the server has the notification endpoints.',
});
