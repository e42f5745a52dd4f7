// Webhooks (endpoints, delivery log, replay): the endpoints come with the webhook work
// (issue 16). Until the server answers the probe path the nav entry says "not available
// on this server". Write the real page here then.
'use strict';
Console.placeholder({
  id: 'webhooks', title: 'Webhooks', order: 50,
  probe: '/api/v1/webhooks',
  missing: 'Webhook endpoints and their delivery log appear here once the server has the webhook endpoints.',
});
