// The console's frame: login, the API client, the router and the nav. Each page is a
// file in pages/ that calls Console.page({...}); index.html loads them all.
'use strict';

const Console = (() => {
  const TOKEN_KEY = 'parley.console.adminToken';
  const pages = [];
  const userActions = [];
  let token = sessionStorage.getItem(TOKEN_KEY);
  let current = null; // the page on screen, for refresh timers

  // ApiError carries Amity's error answer: {status, code, message}.
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || ('HTTP ' + status));
      this.status = status;
      this.code = code;
    }
  }

  // api calls the REST API with the admin token. query is an object whose array values
  // repeat the parameter (name[]=a&name[]=b, as the SDK sends them).
  async function api(method, path, { query, body, headers } = {}) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(query || {})) {
      if (v === undefined || v === null || v === '') continue;
      if (Array.isArray(v)) v.forEach((x) => url.searchParams.append(k + '[]', x));
      else url.searchParams.set(k, v);
    }
    const h = Object.assign({}, headers);
    if (token) h.Authorization = 'Bearer ' + token;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const res = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    if (!res.ok) {
      const err = new ApiError(res.status, data && data.code, data && data.message);
      if (res.status === 401 && path !== '/api/v1/admin-token') logout('Your admin token is no longer valid: log in again.');
      throw err;
    }
    return data;
  }

  // h builds an element: h('a', {href: '#/x', onclick: f, class: 'c'}, 'text', child…).
  // Text is always set as text, never parsed as HTML.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, v);
    }
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }

  // table renders rows as a table: columns are [heading, row => cell content].
  function table(columns, rows, attrs) {
    return h('table', attrs,
      h('thead', null, h('tr', null, columns.map(([title]) => h('th', null, title)))),
      h('tbody', null, rows.length === 0
        ? h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, 'Nothing here.'))
        : rows.map((r) => h('tr', null, columns.map(([, cell]) => h('td', null, cell(r)))))));
  }

  // action is a button that runs an API call, shows its error, and then calls done.
  // With confirm set, the first click only asks: a second click on "Confirm" runs it.
  function action(label, run, { confirm, done, danger } = {}) {
    const b = h('button', { type: 'button', class: danger ? 'danger' : null });
    b.textContent = label;
    let armed = false;
    b.addEventListener('click', async () => {
      if (confirm && !armed) {
        armed = true;
        b.textContent = 'Confirm: ' + confirm;
        b.classList.add('armed');
        return;
      }
      b.disabled = true;
      try {
        await run();
        flash(label + ': done.');
        if (done) await done();
      } catch (e) {
        flash(label + ' failed: ' + describe(e), true);
      } finally {
        b.disabled = false;
        armed = false;
        b.textContent = label;
        b.classList.remove('armed');
      }
    });
    return b;
  }

  function describe(e) {
    if (e instanceof ApiError) return e.message + (e.code ? ' (' + e.code + ')' : '');
    return String(e && e.message || e);
  }

  function flash(text, isError) {
    let el = document.getElementById('flash');
    if (!el) {
      el = h('p', { id: 'flash', role: 'status' });
      const view = document.getElementById('view');
      (view.querySelector('h2') || view).after(el);
    }
    el.textContent = text;
    el.className = isError ? 'error' : 'ok';
  }

  // pager shows a list page by page: load(pageToken) answers {rows, next}; render(rows)
  // makes the content. "Next page" follows paging.next; "First page" starts over.
  function pager(container, load, render) {
    const box = h('div', { class: 'pager' });
    container.append(box);
    async function show(tok) {
      let out;
      try {
        out = await load(tok);
      } catch (e) {
        box.replaceChildren(h('p', { class: 'error' }, describe(e)));
        return;
      }
      box.replaceChildren(render(out.rows), h('div', { class: 'pages' },
        tok ? h('button', { type: 'button', onclick: () => show(undefined) }, 'First page') : null,
        out.next ? h('button', { type: 'button', onclick: () => show(out.next) }, 'Next page') : null));
    }
    show(undefined);
    return { reload: () => show(undefined) };
  }

  // searchList shows a search form over a paged list of GET path: query(form) gives the
  // first page's parameters, key names the answer's list, columns render it.
  function searchList(view, form, { path, key, query, columns, tableId }) {
    const results = h('div');
    view.append(form, results);
    const search = () => {
      results.replaceChildren();
      const first = query(form);
      pager(results, async (tok) => {
        // Later pages send the search's options again with the token, as the SDK does:
        // the token holds a position, not the filters.
        const out = await api('GET', path, { query: tok ? Object.assign({}, first, { 'options[token]': tok }) : first });
        return { rows: out[key], next: out.paging && out.paging.next };
      }, (rows) => table(columns, rows, { id: tableId }));
    };
    form.addEventListener('submit', (ev) => { ev.preventDefault(); search(); });
    search();
  }

  function when(t) {
    return t ? new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
  }

  // page registers a page: {id, title, order, probe, render(view, params)}. probe is a
  // GET path: when it answers 404 the server lacks the feature and the nav says so.
  function page(def) { pages.push(def); }

  async function login(secret) {
    secret = secret.trim();
    if (secret.split('.').length === 3) {
      token = secret;
    } else {
      token = null;
      const out = await api('POST', '/api/v1/admin-token', { headers: { 'x-server-key': secret } });
      token = out.adminToken;
    }
    const me = await whoAmI();
    sessionStorage.setItem(TOKEN_KEY, token);
    return me;
  }

  // whoAmI reads the token's own user (its claims name it) and checks it is an admin.
  async function whoAmI() {
    let id;
    try {
      id = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).user.userId;
    } catch (e) {
      throw new Error('That is neither a server key nor an admin token.');
    }
    const out = await api('GET', '/api/v3/users/' + encodeURIComponent(id));
    const me = out.users[0];
    if (!me.roles.includes('global-admin')) throw new Error(id + ' is not a global admin: use the server key or an admin token.');
    return me;
  }

  function logout(reason) {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    document.getElementById('nav').hidden = true;
    document.getElementById('view').hidden = true;
    document.getElementById('logout').hidden = true;
    document.getElementById('who').textContent = '';
    document.getElementById('login').hidden = false;
    document.getElementById('login-error').textContent = reason || '';
    location.hash = '';
  }

  // Probes run once per login; each marks its nav entry.
  async function probe(def, link) {
    if (!def.probe) return;
    try {
      await api('GET', def.probe);
      def.available = true;
    } catch (e) {
      def.available = !(e instanceof ApiError && e.status === 404);
    }
    if (!def.available) {
      link.classList.add('unavailable');
      link.title = 'not available on this server';
      link.append(h('small', null, ' not available on this server'));
    }
  }

  function buildNav() {
    const nav = document.getElementById('nav');
    nav.replaceChildren();
    pages.sort((a, b) => (a.order || 0) - (b.order || 0));
    for (const def of pages) {
      const link = h('a', { href: '#/' + def.id, id: 'nav-' + def.id }, def.title);
      nav.append(link);
      probe(def, link);
    }
    nav.hidden = false;
  }

  async function route() {
    if (!token) return;
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    const def = pages.find((p) => p.id === parts[0]) || pages[0];
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('current', a.id === 'nav-' + def.id);
    if (current && current.leave) current.leave();
    const view = h('section', { id: 'view', 'data-page': def.id });
    document.getElementById('view').replaceWith(view);
    document.getElementById('flash')?.remove();
    current = {};
    view.append(h('h2', null, def.title));
    if (def.probe && def.available === false) {
      view.append(h('p', { class: 'unavailable' }, 'Not available on this server: ' + def.probe + ' answers 404. ' + (def.missing || '')));
      return;
    }
    try {
      await def.render(view, parts.slice(1), current);
    } catch (e) {
      view.append(h('p', { class: 'error' }, describe(e)));
    }
  }

  function showConsole(me) {
    document.getElementById('login').hidden = true;
    document.getElementById('logout').hidden = false;
    document.getElementById('who').textContent = 'Logged in as ' + me.userId;
    buildNav();
    route();
  }

  async function start() {
    document.getElementById('login').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const input = document.getElementById('secret');
      const err = document.getElementById('login-error');
      err.textContent = '';
      try {
        const me = await login(input.value);
        input.value = '';
        showConsole(me);
      } catch (e) {
        token = null;
        err.textContent = describe(e);
      }
    });
    document.getElementById('logout').addEventListener('click', () => logout());
    window.addEventListener('hashchange', route);
    if (token) {
      try {
        showConsole(await whoAmI());
      } catch (e) {
        logout(describe(e));
      }
    }
  }
  document.addEventListener('DOMContentLoaded', start);

  return { page, api, h, table, action, pager, searchList, flash, describe, when, userActions, ApiError };
})();
