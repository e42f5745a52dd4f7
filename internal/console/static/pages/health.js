// Health: readiness and the figures of /metrics. Counters become rates here, from two
// scrapes a few seconds apart; gauges show as they are.
'use strict';
(() => {
  const { h, table } = Console;
  const EVERY_MS = 5000;
  // The console's own requests are left out of the request rates.
  const ownRoutes = (route) => route === 'GET /metrics' || route === 'GET /readyz' || route.startsWith('GET /console/');

  // parse reads the Prometheus text format into [{name, labels, value}].
  function parse(text) {
    const out = [];
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = {};
      for (const l of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
      out.push({ name: m[1], labels, value: Number(m[3]) });
    }
    return out;
  }

  const sum = (samples, name, keep) => samples
    .filter((s) => s.name === name && (!keep || keep(s.labels)))
    .reduce((a, s) => a + s.value, 0);

  async function scrape() {
    const res = await fetch('/metrics');
    if (!res.ok) throw new Error('/metrics answered ' + res.status);
    return { at: performance.now(), samples: parse(await res.text()) };
  }

  const fixed = (n, d) => Number.isFinite(n) ? n.toFixed(d) : '—';

  // figures compares two scrapes: the rates over the interval between them.
  function figures(prev, cur) {
    const s = cur.samples;
    const secs = prev ? (cur.at - prev.at) / 1000 : 0;
    const rate = (name, keep) => prev ? (sum(s, name, keep) - sum(prev.samples, name, keep)) / secs : NaN;
    const app = (l) => !ownRoutes(l.route || '');
    const delta = (name) => prev ? sum(s, name) - sum(prev.samples, name) : NaN;
    const events = delta('parley_mqtt_event_delay_seconds_count');
    const fsyncs = delta('parley_store_wal_fsyncs_total');
    return [
      ['Requests per second', fixed(rate('parley_http_requests_total', app), 1), 'requests-rate'],
      ['Server errors (5xx) per second', fixed(rate('parley_http_requests_total', (l) => app(l) && l.status >= '500'), 2), 'errors-rate'],
      ['Refused requests (4xx) per second', fixed(rate('parley_http_requests_total', (l) => app(l) && l.status >= '400' && l.status < '500'), 2), 'refused-rate'],
      ['MQTT clients connected', String(sum(s, 'parley_mqtt_clients_connected')), 'mqtt-clients'],
      ['Events published per second', fixed(rate('parley_mqtt_events_published_total'), 1), 'events-rate'],
      ['Outbox lag (commit to delivery, mean ms)', events > 0
        ? fixed(1000 * delta('parley_mqtt_event_delay_seconds_sum') / events, 1)
        : (prev ? 'no events' : '—'), 'outbox-lag'],
      ['Store commits per second', fixed(rate('parley_store_commits_total'), 1), 'commits-rate'],
      ['WAL fsync (mean ms)', fsyncs > 0 ? fixed(1000 * delta('parley_store_wal_fsync_seconds_total') / fsyncs, 2) : '—', 'fsync-ms'],
      ['Resident memory (MB)', fixed(sum(s, 'process_resident_memory_bytes') / 1048576, 0), 'rss'],
      ['Goroutines', String(sum(s, 'go_goroutines')), 'goroutines'],
    ];
  }

  // busiest lists the routes with the most requests per second over the interval.
  function busiest(prev, cur) {
    if (!prev) return [];
    const byRoute = new Map();
    const add = (samples, sign) => {
      for (const x of samples) {
        if (x.name !== 'parley_http_requests_total' || ownRoutes(x.labels.route || '')) continue;
        byRoute.set(x.labels.route, (byRoute.get(x.labels.route) || 0) + sign * x.value);
      }
    };
    add(cur.samples, 1);
    add(prev.samples, -1);
    const secs = (cur.at - prev.at) / 1000;
    return [...byRoute].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).slice(0, 10)
      .map(([route, n]) => ({ route, rate: n / secs }));
  }

  Console.page({
    id: 'health', title: 'Health', order: 80,
    render: async (view, params, current) => {
      const ready = h('p', { id: 'readiness' });
      const box = h('div', { id: 'health-figures' });
      const note = h('p', { class: 'note' }, 'Rates are computed from two scrapes of /metrics ' + EVERY_MS / 1000 + ' s apart; the console\'s own requests are not counted.');
      view.append(ready, box, note);
      let prev = null;
      const tick = async () => {
        try {
          const r = await fetch('/readyz');
          ready.textContent = r.ok ? 'Ready: the node takes traffic.' : 'Not ready: ' + ((await r.json()).reason || r.status);
          ready.className = r.ok ? 'ok' : 'error';
          const cur = await scrape();
          box.replaceChildren(
            h('dl', { class: 'figures' }, figures(prev, cur).map(([k, v, id]) => [h('dt', null, k), h('dd', { id }, v)])),
            h('h3', null, 'Busiest routes'),
            prev ? table([['Route', (r) => r.route], ['Requests/s', (r) => fixed(r.rate, 2)]], busiest(prev, cur), { id: 'routes-table' })
              : h('p', null, 'Measuring…'));
          prev = cur;
        } catch (e) {
          box.replaceChildren(h('p', { class: 'error' }, Console.describe(e)));
        }
      };
      await tick();
      const timer = setInterval(tick, EVERY_MS);
      current.leave = () => clearInterval(timer);
    },
  });
})();
