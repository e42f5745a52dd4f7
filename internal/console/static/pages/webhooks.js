// Webhooks (docs/webhooks.md): endpoints (list, register, change, rotate the secret,
// delete) and each endpoint's delivery log, with replay.
'use strict';
(() => {
  const { api, h, table, action, pager, flash, when } = Console;
  const base = '/api/v1/webhooks';
  const path = (id) => base + '/' + encodeURIComponent(id);
  // eventTypes is typed as a comma-separated list; empty means every event.
  const eventList = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

  function list(view) {
    const form = h('form', { class: 'search', id: 'webhook-create' },
      h('input', { name: 'url', placeholder: 'https://example.com/hook', 'aria-label': 'URL', required: true }),
      h('input', { name: 'eventTypes', placeholder: 'event types, comma-separated (empty: all)', 'aria-label': 'Event types' }),
      h('button', { type: 'submit' }, 'Add endpoint'));
    const box = h('div');
    view.append(h('h3', null, 'Register an endpoint'), form, h('h3', null, 'Endpoints'), box);
    const endpoints = pager(box, async (tok) => {
      const out = await api('GET', base, { query: tok ? { 'options[token]': tok } : { 'options[limit]': 50 } });
      return { rows: out.webhooks, next: out.paging && out.paging.next };
    }, (rows) => table([
      ['Endpoint', (w) => h('a', { href: '#/webhooks/' + encodeURIComponent(w.webhookId) }, w.url)],
      ['Events', (w) => w.eventTypes.length ? w.eventTypes.join(', ') : 'all'],
      ['State', (w) => w.enabled ? (w.failingSince ? 'failing since ' + when(w.failingSince) : 'enabled') : 'disabled' + (w.disabledReason ? ': ' + w.disabledReason : '')],
      ['Created', (w) => when(w.createdAt)],
    ], rows, { id: 'webhooks-table' }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const w = await api('POST', base, { body: { url: form.url.value.trim(), eventTypes: eventList(form.eventTypes.value) } });
        form.reset();
        flash('Endpoint ' + w.webhookId + ' registered.');
        endpoints.reload();
      } catch (e) {
        flash('Add endpoint failed: ' + Console.describe(e), true);
      }
    });
  }

  async function detail(view, id) {
    const info = h('div', { id: 'webhook-info' });
    const log = h('div', { id: 'webhook-log' });
    view.append(h('p', null, h('a', { href: '#/webhooks' }, '← all endpoints')), info, h('h3', null, 'Delivery log'), log);

    const showInfo = async () => {
      const w = await api('GET', path(id));
      const form = h('form', { class: 'search', id: 'webhook-edit' },
        h('input', { name: 'url', value: w.url, 'aria-label': 'URL', required: true }),
        h('input', { name: 'eventTypes', value: w.eventTypes.join(', '), placeholder: 'all events', 'aria-label': 'Event types' }),
        h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'enabled', checked: w.enabled }), ' enabled'),
        h('input', { name: 'maxConcurrency', type: 'number', min: 1, max: 64, value: w.maxConcurrency, 'aria-label': 'Concurrency' }),
        h('button', { type: 'submit' }, 'Save'));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          await api('PUT', path(id), { body: {
            url: form.url.value.trim(), eventTypes: eventList(form.eventTypes.value),
            enabled: form.enabled.checked, maxConcurrency: Number(form.maxConcurrency.value),
          } });
          flash('Saved.');
          await showInfo();
        } catch (e) {
          flash('Save failed: ' + Console.describe(e), true);
        }
      });
      info.replaceChildren(
        h('dl', null,
          h('dt', null, 'Webhook id'), h('dd', null, w.webhookId),
          h('dt', null, 'URL'), h('dd', null, w.url),
          h('dt', null, 'Events'), h('dd', null, w.eventTypes.length ? w.eventTypes.join(', ') : 'all'),
          h('dt', null, 'Enabled'), h('dd', { id: 'webhook-enabled' }, w.enabled ? 'yes' : 'no' + (w.disabledReason ? ' (' + w.disabledReason + ')' : '')),
          h('dt', null, 'Failing since'), h('dd', null, when(w.failingSince)),
          h('dt', null, 'Concurrency'), h('dd', null, w.maxConcurrency),
          // The secret verifies signatures (webhook-signature): admins see it in full.
          h('dt', null, 'Secret'), h('dd', null, h('code', { id: 'webhook-secret' }, w.secret)),
          h('dt', null, 'Created'), h('dd', null, when(w.createdAt))),
        form,
        h('div', { class: 'actions' },
          action('Rotate secret', () => api('POST', path(id) + '/rotate-secret'),
            { confirm: 'new secret (receivers must take it)', done: showInfo }),
          action('Delete endpoint', () => api('DELETE', path(id)),
            { confirm: 'delete this endpoint and its log', danger: true, done: () => { location.hash = '#/webhooks'; } })));
    };
    await showInfo();

    const replay = (ids) => api('POST', path(id) + '/replay', { body: { deliveryIds: ids } });
    const deliveries = pager(log, async (tok) => {
      const out = await api('GET', path(id) + '/deliveries', { query: tok ? { 'options[token]': tok } : { 'options[limit]': 50 } });
      return { rows: out.deliveries, next: out.paging && out.paging.next };
    }, (rows) => h('div', null,
      h('div', { class: 'actions' }, h('button', { type: 'button', id: 'deliveries-refresh', onclick: () => deliveries.reload() }, 'Refresh')),
      table([
        ['Delivery', (d) => d.deliveryId],
        ['Event', (d) => d.event],
        ['At', (d) => when(d.eventAt)],
        ['Status', (d) => h('span', { class: 'status' }, d.status)],
        ['Attempts', (d) => d.attempts],
        ['Last answer', (d) => (d.lastStatusCode || '—') + (d.lastError ? ' ' + d.lastError : '')],
        ['Done', (d) => when(d.doneAt)],
        ['', (d) => h('span', { class: 'actions', 'data-delivery': d.deliveryId },
          action('Replay', () => replay([d.deliveryId]), { done: () => deliveries.reload() }))],
      ], rows, { id: 'deliveries-table' })));
  }

  Console.page({
    id: 'webhooks', title: 'Webhooks', order: 50,
    probe: base,
    missing: 'This server has no outgoing webhooks.',
    render: (view, [id]) => id ? detail(view, id) : list(view),
  });
})();
