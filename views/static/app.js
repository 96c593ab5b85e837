// The settings and dashboard page. Plain browser script (no bundler): it reads its token and
// words from the JSON island the server rendered, talks to /api with `Authorization: Bearer`,
// and builds every element with DOM calls (textContent, never innerHTML), so no value from
// the portal or the API is ever parsed as markup. Charts are inline SVG drawn here.
(() => {
  const boot = JSON.parse(document.getElementById('boot').textContent);
  const T = boot.t || {};
  const LOCALE = boot.lang === 'ru' ? 'ru-RU' : 'en-GB';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const MODES = ['evenly', 'strictly', 'least_loaded', 'weighted', 'all'];
  const COUNTS = ['all_open', 'not_yet_answered', 'excluding_waiting_client', 'answered_only'];
  const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const PRECEDENCES = [
    ['contact', 'company', 'lead'],
    ['contact', 'lead', 'company'],
    ['company', 'contact', 'lead'],
    ['company', 'lead', 'contact'],
    ['lead', 'contact', 'company'],
    ['lead', 'company', 'contact'],
  ];

  /** The page's words; `{name}` placeholders are filled from `vars`. */
  function t(key, vars) {
    let s = Object.hasOwn(T, key) ? T[key] : key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    return s;
  }

  // ---------------------------------------------------------------- DOM helpers

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }
  /** A grid table: header cells (dictionary keys, or ready cells) and the body's rows. */
  function gridTable(attrs, heads, rows) {
    const th = (c) => (typeof c === 'string' ? h('th', { text: t(c) }) : c);
    return h(
      'table',
      { ...attrs, class: `grid-table${attrs.class ? ` ${attrs.class}` : ''}` },
      h('thead', {}, h('tr', {}, ...heads.map(th))),
      h('tbody', {}, rows),
    );
  }
  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') el.textContent = String(v);
      else if (v !== undefined && v !== null) el.setAttribute(k, String(v));
    }
    append(el, children);
    return el;
  }
  function setAttrs(el, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = String(v);
      else if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked' || k === 'disabled' || k === 'selected') el[k] = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  function clear(el) {
    while (el.firstChild) el.firstChild.remove();
    return el;
  }
  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- formatting

  const fmtTime = (ms) =>
    ms
      ? new Date(ms).toLocaleString(LOCALE, {
          day: '2-digit',
          month: 'short',
          hour: '2-digit',
          minute: '2-digit',
        })
      : '—';
  function fmtAge(sec) {
    if (sec < 60) return t('age_sec', { n: sec });
    const m = Math.floor(sec / 60);
    if (m < 60) return t('age_min', { n: m });
    const hrs = Math.floor(m / 60);
    if (hrs < 48) return t('age_hour', { h: hrs, m: m % 60 });
    return t('age_day', { n: Math.floor(hrs / 24) });
  }
  const clone = (v) => JSON.parse(JSON.stringify(v));
  function localMidnight() {
    const d = new Date();
    d.setHours(0, 0, 0, 0);
    return d.getTime();
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, data) {
      super((data && (data.error_description || data.error)) || `HTTP ${status}`);
      this.status = status;
      this.data = data;
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${boot.token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (res.status === 401) sessionExpired();
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  let noticeTimer = 0;
  /** One line above the page; `content` is text or nodes. */
  function notice(content, kind = 'info', sticky = false) {
    const n = $('notice');
    clear(n);
    const parts = [].concat(content).filter((x) => x !== '' && x !== null && x !== undefined);
    n.className = `app-notice ${kind}${parts.length ? ' shown' : ''}`;
    append(n, parts);
    clearTimeout(noticeTimer);
    if (parts.length && !sticky) noticeTimer = setTimeout(() => notice(''), 4000);
    fit();
  }

  /**
   * The page's token lasts an hour. Inside Bitrix24 the portal reloads the frame with a fresh
   * AUTH_ID (so the server checks the viewer again); outside it, the viewer reopens the app.
   */
  function sessionExpired() {
    const reload = () => {
      if (frame) frame.parent.reloadWindow().catch(() => location.reload());
      else location.reload();
    };
    notice(
      [
        t('session_expired'),
        ' ',
        h('button', {
          type: 'button',
          class: 'ui-btn light',
          id: 'reload',
          text: t('reload'),
          onclick: reload,
        }),
      ],
      'error',
      true,
    );
  }

  // ---------------------------------------------------------------- Bitrix24 frame

  // The page works without the frame (opened directly, or in tests without a portal): the
  // handshake runs beside the page and nothing waits for it, because the SDK's getInitData
  // has no timeout of its own.
  let frame = null;
  let fitQueued = false;
  function initFrame() {
    const B24Js = window.B24Js;
    if (!B24Js || typeof window.name !== 'string' || window.name.split('|').length < 3) return;
    B24Js.initializeB24Frame()
      .then((b24) => {
        frame = b24;
        document.body.dataset.frame = 'ready';
        b24.parent.setTitle(t('title')).catch(() => {});
        fit();
      })
      .catch(() => {
        document.body.dataset.frame = 'none';
      });
  }
  let fittedHeight = 0;
  function fit() {
    if (!frame || fitQueued) return;
    fitQueued = true;
    requestAnimationFrame(() => {
      fitQueued = false;
      // Only when the content's height changed: every render would otherwise post a message.
      const height = document.documentElement.scrollHeight;
      if (height === fittedHeight) return;
      fittedHeight = height;
      frame.parent.fitWindow().catch(() => {});
    });
  }

  // ---------------------------------------------------------------- paths and form binding

  function getPath(obj, path) {
    return path.split('.').reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
  }
  function setPath(obj, path, value) {
    const keys = path.split('.');
    let o = obj;
    for (let i = 0; i < keys.length - 1; i++) {
      if (o[keys[i]] === null || typeof o[keys[i]] !== 'object')
        o[keys[i]] = /^\d+$/.test(keys[i + 1]) ? [] : {};
      o = o[keys[i]];
    }
    o[keys[keys.length - 1]] = value;
  }

  /**
   * An input bound to `root` at `path`. Kinds: int, text, list (comma-separated strings),
   * intlist, bool, select. Every change writes the draft and calls `changed`.
   */
  function bound(root, path, kind, changed, extra = {}) {
    const value = getPath(root, path);
    let el;
    if (kind === 'bool') {
      el = h('input', { type: 'checkbox', checked: value === true });
    } else if (kind === 'select') {
      el = h(
        'select',
        {},
        extra.options.map(([v, label]) =>
          h('option', { value: v, selected: String(value) === String(v), text: label }),
        ),
      );
    } else {
      const shown =
        kind === 'list' || kind === 'intlist'
          ? Array.isArray(value)
            ? value.join(', ')
            : ''
          : (value ?? '');
      el = h('input', {
        type: kind === 'int' ? 'number' : 'text',
        value: String(shown),
        min: extra.min,
        max: extra.max,
        step: kind === 'int' ? 1 : undefined,
        placeholder: extra.placeholder,
        class: kind === 'int' ? 'num' : undefined,
      });
    }
    el.dataset.path = extra.errorPath || path;
    if (extra.id) el.id = extra.id;
    el.disabled = !boot.isAdmin || !!extra.disabled;
    el.addEventListener(kind === 'bool' || kind === 'select' ? 'change' : 'input', () => {
      setPath(root, path, readValue(el, kind, extra));
      changed(path);
    });
    return el;
  }
  function readValue(el, kind, extra) {
    if (kind === 'bool') return el.checked;
    if (kind === 'select') return extra.numeric ? Number(el.value) : el.value;
    if (kind === 'int') {
      // Whatever was typed goes to the server as is when it is not a number, so the server's
      // schema (not this script) says what is wrong with it.
      if (el.value.trim() === '') return extra.emptyAs === undefined ? el.value : extra.emptyAs;
      const n = Number(el.value);
      return Number.isFinite(n) ? n : el.value;
    }
    if (kind === 'list')
      return el.value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    if (kind === 'intlist')
      return el.value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    return el.value;
  }

  function field(label, control, hint) {
    return h(
      'label',
      { class: 'field' },
      h('span', { class: 'field-label', text: label }),
      control,
      hint ? h('span', { class: 'field-hint', text: hint }) : null,
    );
  }
  function check(label, control, hint) {
    return h(
      'label',
      { class: 'check' },
      control,
      h('span', { text: label }),
      hint ? h('span', { class: 'field-hint', text: hint }) : null,
    );
  }
  /** A number that may be "none" (null): a number box and a checkbox that switches it off. */
  function nullableInt(root, path, noneLabel, changed, extra = {}) {
    const value = getPath(root, path);
    // A cleared box is sent as typed (''), so the server refuses it next to the field: only
    // the checkbox says "none", never an empty box.
    const num = bound(root, path, 'int', changed, extra);
    const off = h('input', { type: 'checkbox', checked: value === null || value === undefined });
    off.disabled = !boot.isAdmin;
    num.disabled = num.disabled || off.checked;
    if (off.checked) num.value = '';
    off.addEventListener('change', () => {
      num.disabled = !boot.isAdmin || off.checked;
      const v = off.checked ? null : Number(num.value || extra.fallback || 1);
      if (!off.checked && !num.value) num.value = String(v);
      if (off.checked) num.value = '';
      setPath(root, path, v);
      changed(path);
    });
    return h(
      'span',
      { class: 'nullable' },
      num,
      h('label', { class: 'check inline' }, off, h('span', { text: noneLabel })),
    );
  }

  /** Shows a 400's field errors beside the inputs whose data-path is the longest prefix of each. */
  function showErrors(container, fields, prefix = '') {
    for (const el of container.querySelectorAll('.field-error')) el.remove();
    for (const el of container.querySelectorAll('.has-error')) el.classList.remove('has-error');
    const inputs = [...container.querySelectorAll('[data-path]')];
    const unplaced = [];
    for (const f of fields || []) {
      const path = prefix && f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path;
      let best = null;
      for (const el of inputs) {
        const p = el.dataset.path;
        if ((path === p || path.startsWith(`${p}.`)) && (!best || p.length > best.dataset.path.length))
          best = el;
      }
      if (best) {
        best.classList.add('has-error');
        const msg = h('div', { class: 'field-error', text: errorText(f) });
        const holder = best.closest('td, .field, .check, .nullable') || best;
        // Inside a table cell the message stays in the cell; elsewhere it follows the field.
        if (holder.tagName === 'TD') holder.append(msg);
        else holder.after(msg);
      } else
        unplaced.push(
          h('div', { class: 'field-error', text: `${path || t('whole_value')}: ${errorText(f)}` }),
        );
    }
    const summary = container.querySelector('.error-summary');
    if (summary) {
      clear(summary);
      if ((fields || []).length) summary.append(h('strong', { text: t('fix_fields') }), ...unplaced);
    }
    const first = container.querySelector('.has-error, .error-summary .field-error');
    if (first) first.scrollIntoView({ block: 'center', behavior: 'smooth' });
    fit();
  }

  /** A field error in the viewer's language where its kind is known, else the schema's words. */
  function errorText(f) {
    if (f.key) return t(f.key);
    if (f.code === 'too_small' && f.origin === 'string' && f.limit === 1) return t('err_empty');
    if (f.code === 'too_small' && f.origin === 'number') return t('err_min', { n: f.limit });
    if (f.code === 'too_big' && f.origin === 'number') return t('err_max', { n: f.limit });
    if (f.code === 'too_small' && f.origin === 'array') return t('err_min_items', { n: f.limit });
    if (f.code === 'too_big' && f.origin === 'array') return t('err_max_items', { n: f.limit });
    if (f.code === 'invalid_type') return t('err_type');
    if (f.code === 'invalid_value') return t('err_value');
    return f.message;
  }

  // ---------------------------------------------------------------- shared data

  const people = new Map(); // operator id → name, from the dashboard and the settings
  const nameOf = (id) => people.get(Number(id)) || `#${id}`;
  let dashboardCache = null;

  async function loadDashboard() {
    dashboardCache = await api('GET', `/api/dashboard?since=${localMidnight()}`);
    for (const o of dashboardCache.operators) people.set(o.id, o.name);
    for (const o of dashboardCache.today) people.set(o.operatorId, o.name);
    return dashboardCache;
  }

  // ---------------------------------------------------------------- tabs

  const TABS = ['dashboard', 'lines', 'leads', 'operators', 'log'];
  let current = 'dashboard';
  let refreshTimer = 0;

  function renderTabs() {
    const nav = clear($('tabs'));
    for (const tab of TABS) {
      nav.append(
        h('button', {
          type: 'button',
          role: 'tab',
          class: `app-tab${tab === current ? ' active' : ''}`,
          'aria-selected': tab === current ? 'true' : 'false',
          'data-tab': tab,
          text: t(`tab_${tab}`),
          onclick: () => go(tab),
        }),
      );
    }
  }

  function go(tab) {
    current = tab;
    clearInterval(refreshTimer);
    renderTabs();
    const view = clear($('view'));
    view.append(h('div', { class: 'b24-card muted', text: t('loading') }));
    VIEWS[tab](view).catch((err) => {
      clear(view).append(
        h('div', { class: 'b24-card error-card', text: `${t('load_failed')} ${err.message}` }),
      );
      fit();
    });
  }

  // ---------------------------------------------------------------- dashboard

  async function dashboardView(view) {
    const d = await loadDashboard();
    clear(view);
    view.append(renderDashboard(d));
    fit();
    refreshTimer = setInterval(async () => {
      if (current !== 'dashboard' || document.hidden) return;
      try {
        const fresh = await loadDashboard();
        clear(view).append(renderDashboard(fresh));
        fit();
      } catch {
        // the next tick tries again
      }
    }, 30000);
  }

  function sourceNotes(d) {
    const notes = [];
    if (!d.sources.operators) notes.push(t('note_no_operators'));
    if (!d.sources.openlines) notes.push(t('note_no_openlines'));
    if (d.linesFrom === 'missing') notes.push(t('note_no_lines'));
    for (const a of d.assumed) if (Object.hasOwn(T, `assumed_${a}`)) notes.push(t(`assumed_${a}`));
    // The server words these (RU/EN from i18n.json) with their counts.
    if (d.unreadable?.note) notes.push(d.unreadable.note);
    return [...new Set(notes)];
  }

  function renderDashboard(d) {
    const totalToday = d.today.reduce((s, x) => s + x.dialog + x.lead, 0);
    const available = d.operators.filter((o) => o.queues.length && o.queues.some((q) => !q.why)).length;
    const withQueues = d.operators.filter((o) => o.queues.length).length;
    const notes = sourceNotes(d);
    return h(
      'div',
      { class: 'dashboard', id: 'dashboard' },
      h(
        'div',
        { class: 'tiles' },
        tile(t('tile_waiting'), d.waiting === null ? '—' : d.waiting.length, d.waiting?.length ? 'warn' : ''),
        tile(t('tile_today'), totalToday),
        tile(t('tile_available'), `${available} / ${withQueues}`),
        // events received and not yet handled: a portal's import shows here as it drains
        tile(
          t('tile_backlog'),
          d.inbox.pending + d.inbox.processing,
          d.inbox.pending > 100 ? 'warn' : '',
          'tile-backlog',
        ),
        tile(t('tile_dead'), d.dead.count, d.dead.count ? 'bad' : ''),
      ),
      notes.length
        ? h(
            'div',
            { class: 'b24-card notes' },
            notes.map((n) => h('p', { class: 'note', text: n })),
          )
        : null,
      h(
        'div',
        { class: 'grid-2' },
        h(
          'section',
          { class: 'b24-card', id: 'operators-card' },
          h('h2', { text: t('operators_title') }),
          operatorsTable(d),
        ),
        h(
          'section',
          { class: 'b24-card', id: 'today-card' },
          h('h2', { text: t('today_title') }),
          todayChart(d.today),
        ),
      ),
      h(
        'section',
        { class: 'b24-card', id: 'waiting-card' },
        h('h2', { text: t('waiting_title') }),
        waitingTable(d.waiting),
      ),
      h(
        'section',
        { class: 'b24-card', id: 'log-card' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', { text: t('log_title') }),
          h('button', {
            type: 'button',
            class: 'ui-btn light',
            text: t('log_all'),
            onclick: () => go('log'),
          }),
        ),
        logList(d.log),
      ),
      h(
        'div',
        { class: 'grid-2' },
        h(
          'section',
          { class: 'b24-card', id: 'jobs-card' },
          h('h2', { text: t('jobs_title') }),
          jobsTable(d.jobs),
        ),
        h(
          'section',
          { class: 'b24-card', id: 'dead-card' },
          h('h2', { text: t('dead_title') }),
          deadTable(d.dead.rows),
        ),
      ),
      d.installation ? installationCard(d.installation) : null,
    );
  }

  /** Administrators see who installed, who was refused and when the application token changed. */
  function installationCard(inst) {
    const state = inst.applicationTokenConfirmedAt
      ? t('security_token_confirmed', { at: fmtTime(Date.parse(inst.applicationTokenConfirmedAt)) })
      : t('security_token_unconfirmed');
    return h(
      'section',
      { class: 'b24-card', id: 'security-card' },
      h('h2', { text: t('security_title') }),
      h('p', { class: inst.applicationTokenConfirmedAt ? 'muted' : 'note', text: state }),
      inst.events.length
        ? gridTable(
            { class: 'compact' },
            ['col_when', 'col_security_event', 'col_security_user'],
            inst.events.map((e) =>
              h(
                'tr',
                { class: `security-${e.kind}` },
                h('td', { text: fmtTime(e.at) }),
                h('td', { text: t(`security_${e.kind}`) }),
                h('td', { text: e.userName ?? t('security_by_portal') }),
              ),
            ),
          )
        : h('p', { class: 'muted', text: t('security_none') }),
    );
  }

  function tile(label, value, kind = '', id = undefined) {
    return h(
      'div',
      { class: `tile b24-card ${kind}`, ...(id ? { id } : {}) },
      h('div', { class: 'tile-value', text: value }),
      h('div', { class: 'tile-label', text: label }),
    );
  }

  function whyText(why) {
    return why ? t(`why_${why}`) : t('available');
  }

  function operatorsTable(d) {
    if (!d.operators.length) return h('p', { class: 'muted', text: t('operators_none') });
    const rows = d.operators.map((o) => {
      const queues = o.queues.length
        ? o.queues.map((q) => {
            const label = q.lineId === null ? t('leads_queue') : q.label;
            return h(
              'div',
              { class: 'queue-line' },
              h('span', { class: 'queue-name', text: label }),
              loadBar(q.load, q.limit),
              h(
                'span',
                { class: `avail ${q.why ? 'off' : 'on'}`, title: whyText(q.why) },
                h('i', { class: 'dot' }),
                whyText(q.why),
              ),
            );
          })
        : h('span', { class: 'muted', text: t('in_no_queue') });
      const extra = [];
      if (o.paused)
        extra.push(o.pausedUntil ? t('paused_until', { at: fmtTime(o.pausedUntil) }) : t('paused'));
      if (o.absentUntil && o.absentUntil > d.now)
        extra.push(t('absent_until', { at: fmtTime(o.absentUntil) }));
      return h(
        'tr',
        { 'data-operator': o.id },
        h(
          'td',
          { class: 'op-name' },
          h('i', {
            class: `presence ${o.online === true ? 'online' : o.online === false ? 'offline' : 'unknown'}`,
          }),
          o.name,
          extra.length ? h('div', { class: 'muted small', text: extra.join(' · ') }) : null,
        ),
        h('td', {}, queues),
      );
    });
    return gridTable({}, ['col_operator', 'col_load_availability'], rows);
  }

  function loadBar(load, limit) {
    const text = `${load === null ? '—' : load} / ${limit === null ? '∞' : limit}`;
    const pct =
      load === null || limit === null
        ? 0
        : limit === 0
          ? 100
          : Math.min(100, Math.round((load / limit) * 100));
    const level = limit !== null && load !== null && load >= limit ? 'full' : pct >= 70 ? 'high' : 'ok';
    const bar = h(
      'span',
      { class: `load-bar ${level}`, title: t('load_title', { load: load ?? '—', limit: limit ?? '∞' }) },
      h('span', { class: 'load-fill' }),
    );
    bar.firstChild.style.width = `${pct}%`;
    return h('span', { class: 'load' }, bar, h('span', { class: 'load-text', text }));
  }

  /** Assignments today per operator: horizontal stacked bars (dialogs, leads), inline SVG. */
  function todayChart(rows) {
    if (!rows.length) return h('p', { class: 'muted', text: t('today_none') });
    // Sized for the half-width card, so the text keeps its size when the SVG scales to fit.
    const width = 440;
    const labelW = 130;
    const rowH = 28;
    const max = Math.max(...rows.map((r) => r.dialog + r.lead), 1);
    const scale = (width - labelW - 50) / max;
    const height = rows.length * rowH + 24;
    const chart = svg('svg', {
      viewBox: `0 0 ${width} ${height}`,
      class: 'chart',
      role: 'img',
      'aria-label': t('today_title'),
      id: 'today-chart',
    });
    rows.forEach((r, i) => {
      const y = i * rowH + 4;
      const name = r.name.length > 18 ? `${r.name.slice(0, 17)}…` : r.name;
      chart.append(
        svg('text', { x: labelW - 8, y: y + 15, 'text-anchor': 'end', class: 'chart-label', text: name }),
      );
      const dw = r.dialog * scale;
      const lw = r.lead * scale;
      if (r.dialog)
        chart.append(
          svg(
            'rect',
            { x: labelW, y, width: Math.max(dw, 2), height: 20, rx: 3, class: 'bar-dialog' },
            svg('title', { text: `${r.name}: ${t('dialogs_n', { n: r.dialog })}` }),
          ),
        );
      if (r.lead)
        chart.append(
          svg(
            'rect',
            { x: labelW + dw, y, width: Math.max(lw, 2), height: 20, rx: 3, class: 'bar-lead' },
            svg('title', { text: `${r.name}: ${t('leads_n', { n: r.lead })}` }),
          ),
        );
      chart.append(
        svg('text', { x: labelW + dw + lw + 6, y: y + 15, class: 'chart-value', text: r.dialog + r.lead }),
      );
    });
    const ly = rows.length * rowH + 16;
    chart.append(
      svg('rect', { x: labelW, y: ly - 9, width: 10, height: 10, class: 'bar-dialog' }),
      svg('text', { x: labelW + 14, y: ly, class: 'chart-legend', text: t('legend_dialogs') }),
      svg('rect', { x: labelW + 90, y: ly - 9, width: 10, height: 10, class: 'bar-lead' }),
      svg('text', { x: labelW + 104, y: ly, class: 'chart-legend', text: t('legend_leads') }),
    );
    return chart;
  }

  function waitingTable(waiting) {
    if (waiting === null) return h('p', { class: 'muted', text: t('waiting_unavailable') });
    if (!waiting.length) return h('p', { class: 'muted', text: t('waiting_none') });
    return gridTable(
      {},
      ['col_item', 'col_line', 'col_waiting_for'],
      [...waiting]
        .sort((a, b) => b.ageSec - a.ageSec)
        .map((w) =>
          h(
            'tr',
            {},
            h('td', {
              text: `${w.kind === 'lead' ? t('lead') : t('dialog')} ${w.id}${w.title ? ` · ${w.title}` : ''}`,
            }),
            h('td', { text: w.lineName || '—' }),
            h('td', { class: w.ageSec > 300 ? 'age old' : 'age', text: fmtAge(w.ageSec) }),
          ),
        ),
    );
  }

  function logList(entries) {
    if (!entries.length) return h('p', { class: 'muted', text: t('log_none') });
    return h(
      'ul',
      { class: 'log-list' },
      entries.map((e) =>
        h(
          'li',
          { class: `log-entry action-${e.action}`, 'data-object': e.objectId },
          h(
            'div',
            { class: 'log-head' },
            h('span', { class: 'log-time', text: fmtTime(e.at) }),
            h('span', { class: 'chip', text: t(`action_${e.action}`) }),
            h('span', {
              class: 'log-object',
              text: `${e.kind === 'lead' ? t('lead') : t('dialog')} ${e.objectId}`,
            }),
            e.operatorName ? h('span', { class: 'log-operator', text: `→ ${e.operatorName}` }) : null,
          ),
          h('div', { class: 'log-why', text: e.text }),
        ),
      ),
    );
  }

  function jobsTable(jobs) {
    if (!jobs.length) return h('p', { class: 'muted', text: t('jobs_none') });
    return gridTable(
      { class: 'compact' },
      ['col_job', 'col_status', 'col_started', 'col_result'],
      jobs.map((j) =>
        h(
          'tr',
          {},
          h('td', { text: Object.hasOwn(T, `job_${j.job}`) ? t(`job_${j.job}`) : j.job }),
          h(
            'td',
            {},
            h('span', { class: `chip status-${j.status}`, text: t(`status_${j.status}`) }),
            j.dryRun ? h('span', { class: 'muted small', text: ` ${t('dry_run')}` }) : null,
          ),
          h('td', { text: fmtTime(j.startedAt) }),
          h('td', { class: 'small', text: j.summary }),
        ),
      ),
    );
  }

  function deadTable(rows) {
    if (!rows.length) return h('p', { class: 'muted', text: t('dead_none') });
    return gridTable(
      { class: 'compact' },
      ['col_event', 'col_attempts', 'col_when', 'col_error'],
      rows.map((r) =>
        h(
          'tr',
          {},
          h('td', {}, h('div', { text: r.event }), h('div', { class: 'muted small', text: r.objectKey })),
          h('td', { text: r.attempts }),
          h('td', { text: fmtTime(r.finishedAt || r.receivedAt) }),
          h('td', { class: 'small', text: r.lastError }),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------- rules editor

  /**
   * The queue rules of a line (own rules), the lead queue or a lead route. Edits go into
   * `root` at `base`; `changed(path, structural)` re-renders on structural changes.
   */
  function rulesEditor(root, base, changed, o = {}) {
    const p = (k) => `${base}.${k}`;
    const rules = getPath(root, base);
    const wrap = h('div', { class: 'rules' });
    wrap.append(
      h(
        'div',
        { class: 'form-row' },
        field(
          t('f_mode'),
          bound(root, p('mode'), 'select', (x) => changed(x, true), {
            options: MODES.map((m) => [m, t(`mode_${m}`)]),
            id: o.idPrefix ? `${o.idPrefix}-mode` : undefined,
          }),
          t(`mode_hint_${rules.mode}`),
        ),
        // Leads have no messages: nothing to pass on unanswered, nothing but "open" to count.
        o.leads
          ? null
          : field(
              t('f_pass_on'),
              nullableInt(root, p('passOnAfterSec'), t('never'), changed, { min: 1, fallback: 60 }),
              t('f_pass_on_hint'),
            ),
      ),
      h(
        'div',
        { class: 'form-row' },
        field(
          t('f_limit'),
          nullableInt(root, p('capacity.limit'), t('unlimited'), changed, {
            min: 0,
            max: 1000,
            fallback: 5,
            id: o.idPrefix ? `${o.idPrefix}-limit` : undefined,
          }),
          t('f_limit_hint'),
        ),
        o.leads
          ? null
          : field(
              t('f_counts'),
              bound(root, p('capacity.counts'), 'select', changed, {
                options: COUNTS.map((c) => [c, t(`counts_${c}`)]),
              }),
            ),
      ),
      h(
        'fieldset',
        { class: 'group' },
        h('legend', { text: t('f_availability') }),
        check(
          t('f_check'),
          bound(root, p('availability.check'), 'bool', (x) => changed(x, true)),
          t('f_check_hint'),
        ),
        h(
          'div',
          { class: `sub${rules.availability.check ? '' : ' dimmed'}` },
          check(
            t('f_require_online'),
            bound(root, p('availability.requireOnline'), 'bool', changed, {
              disabled: !rules.availability.check,
            }),
          ),
          check(
            t('f_time_tracking'),
            bound(root, p('availability.useTimeTracking'), 'bool', changed, {
              disabled: !rules.availability.check,
            }),
          ),
          check(
            t('f_schedules'),
            bound(root, p('availability.useSchedules'), 'bool', changed, {
              disabled: !rules.availability.check,
            }),
          ),
        ),
      ),
      h(
        'fieldset',
        { class: 'group' },
        h('legend', { text: t('f_routing') }),
        check(
          t('f_responsible'),
          bound(root, p('responsible.enabled'), 'bool', changed),
          t('f_responsible_hint'),
        ),
        field(t('f_precedence'), precedenceSelect(root, p('responsible.precedence'), changed)),
        o.leads
          ? null
          : check(t('f_sticky'), bound(root, p('sticky.enabled'), 'bool', changed), t('f_sticky_hint')),
      ),
      h('h3', { text: t('f_queue') }),
      membersTable(
        root,
        p('queue'),
        rules.queue.map((m) => m.id),
        changed,
        { editable: true, mode: rules.mode },
      ),
    );
    return wrap;
  }

  function precedenceSelect(root, path, changed) {
    const value = (getPath(root, path) || []).join(',');
    const options = PRECEDENCES.map((p) => [p.join(','), p.map((e) => t(`entity_${e}`)).join(' → ')]);
    if (!options.some(([v]) => v === value))
      options.unshift([
        value,
        value
          .split(',')
          .map((e) => t(`entity_${e}`))
          .join(' → '),
      ]);
    const el = h(
      'select',
      {},
      options.map(([v, label]) => h('option', { value: v, selected: v === value, text: label })),
    );
    el.dataset.path = path;
    el.disabled = !boot.isAdmin;
    el.addEventListener('change', () => {
      setPath(root, path, el.value.split(','));
      changed(path);
    });
    return el;
  }

  /**
   * Per-operator weight, limit and auto-assignment for `ids`, written into the queue array at
   * `queuePath` (an entry is created for an operator the first time one of their values is
   * changed). With `editable`, operators can be added, removed and reordered.
   */
  function membersTable(root, queuePath, ids, changed, o) {
    const queue = () => {
      let q = getPath(root, queuePath);
      if (!Array.isArray(q)) {
        q = [];
        setPath(root, queuePath, q);
      }
      return q;
    };
    const entry = (id) => {
      const q = queue();
      let i = q.findIndex((m) => m.id === id);
      if (i < 0) {
        q.push({ id, weight: 1, limit: null, autoAssign: true });
        i = q.length - 1;
      }
      return i;
    };
    const rows = ids.map((id, pos) => {
      const i = entry(id);
      const mp = `${queuePath}.${i}`;
      const actions =
        o.editable && boot.isAdmin
          ? h(
              'td',
              { class: 'row-actions' },
              h('button', {
                type: 'button',
                class: 'icon-btn',
                title: t('move_up'),
                text: '↑',
                disabled: pos === 0,
                onclick: () => move(i, -1),
              }),
              h('button', {
                type: 'button',
                class: 'icon-btn',
                title: t('move_down'),
                text: '↓',
                disabled: pos === ids.length - 1,
                onclick: () => move(i, 1),
              }),
              h('button', {
                type: 'button',
                class: 'icon-btn danger',
                title: t('remove'),
                text: '×',
                onclick: () => remove(i),
              }),
            )
          : null;
      return h(
        'tr',
        { 'data-member': id },
        h('td', { class: 'op-name' }, nameOf(id), h('span', { class: 'muted small', text: ` #${id}` })),
        h('td', {}, bound(root, `${mp}.weight`, 'int', changed, { min: 1, max: 100 })),
        h(
          'td',
          {},
          bound(root, `${mp}.limit`, 'int', changed, {
            min: 0,
            max: 1000,
            emptyAs: null,
            placeholder: t('queue_limit'),
          }),
        ),
        h('td', { class: 'center' }, bound(root, `${mp}.autoAssign`, 'bool', changed)),
        actions,
      );
    });
    const move = (i, delta) => {
      const q = queue();
      // Reorder by the displayed order of ids, then rebuild the array in that order.
      const order = ids.slice();
      const id = q[i].id;
      const at = order.indexOf(id);
      order.splice(at, 1);
      order.splice(at + delta, 0, id);
      const byId = new Map(q.map((m) => [m.id, m]));
      setPath(root, queuePath, order.map((x) => byId.get(x)).concat(q.filter((m) => !order.includes(m.id))));
      changed(queuePath, true);
    };
    const remove = (i) => {
      queue().splice(i, 1);
      changed(queuePath, true);
    };
    const table = h(
      'table',
      { class: 'grid-table members', 'data-path': queuePath },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { text: t('col_operator') }),
          h('th', { text: t('col_weight'), title: t('col_weight_hint') }),
          h('th', { text: t('col_limit'), title: t('col_limit_hint') }),
          h('th', { text: t('col_auto'), title: t('col_auto_hint') }),
          o.editable && boot.isAdmin ? h('th', {}) : null,
        ),
      ),
      h(
        'tbody',
        {},
        rows.length ? rows : h('tr', {}, h('td', { colspan: 5, class: 'muted', text: t('queue_empty') })),
      ),
    );
    const parts = [table];
    if (o.editable && boot.isAdmin) {
      const known = [...people.entries()].filter(([id]) => !ids.includes(id));
      const pick = h(
        'select',
        { class: 'add-pick' },
        h('option', { value: '', text: t('add_pick') }),
        known.map(([id, name]) => h('option', { value: id, text: `${name} (#${id})` })),
      );
      const byId = h('input', { type: 'number', min: 1, class: 'num', placeholder: t('user_id') });
      const add = () => {
        const id = Number(pick.value || byId.value);
        if (!Number.isInteger(id) || id <= 0 || ids.includes(id)) return;
        queue().push({ id, weight: 1, limit: null, autoAssign: true });
        changed(queuePath, true);
      };
      parts.push(
        h(
          'div',
          { class: 'add-member' },
          pick,
          byId,
          h('button', { type: 'button', class: 'ui-btn light', text: t('add_operator'), onclick: add }),
        ),
      );
    }
    return h('div', {}, parts);
  }

  function idleEditor(root, base, changed) {
    const p = (k) => `${base}.${k}`;
    return h(
      'fieldset',
      { class: 'group' },
      h('legend', { text: t('f_idle') }),
      check(t('f_idle_enabled'), bound(root, p('enabled'), 'bool', changed)),
      h(
        'div',
        { class: 'form-row' },
        field(
          t('f_idle_no_operator'),
          bound(root, p('noOperatorAnswerDays'), 'int', changed, { min: 1, max: 365 }),
          t('days'),
        ),
        field(
          t('f_idle_no_client'),
          bound(root, p('noClientReplyDays'), 'int', changed, { min: 1, max: 365 }),
          t('days'),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------- what-if

  /** The what-if card: re-asks the engine (debounced) whenever `draft()` changes. */
  function whatIf(scope, draft, noun, o = {}) {
    let n = 10;
    let timer = 0;
    let seq = 0;
    const result = h('div', { class: 'whatif-result', id: 'whatif-result' });
    const nInput = h('input', {
      type: 'number',
      min: 1,
      max: 100,
      value: String(n),
      class: 'num',
      id: 'whatif-n',
    });
    nInput.addEventListener('input', () => {
      const v = Number(nInput.value);
      if (Number.isInteger(v) && v >= 1 && v <= 100) {
        n = v;
        schedule();
      }
    });
    const card = h(
      'section',
      { class: 'b24-card whatif', id: 'whatif' },
      h('h2', { text: t('whatif_title') }),
      h('p', { class: 'muted' }, t('whatif_next_1'), ' ', nInput, ' ', t(`whatif_next_2_${noun}`)),
      result,
    );
    async function run() {
      const mine = ++seq;
      card.classList.add('busy');
      try {
        const body = { scope, settings: draft(), n };
        if (o.route !== undefined && o.route() !== undefined) body.route = o.route();
        const r = await api('POST', '/api/what-if', body);
        if (mine !== seq) return;
        o.onErrors?.([]);
        renderResult(r);
      } catch (err) {
        if (mine !== seq) return;
        clear(result);
        if (err.status === 400 && err.data && err.data.fields) {
          result.append(h('p', { class: 'field-error', text: t('whatif_invalid') }));
          o.onErrors?.(err.data.fields);
        } else result.append(h('p', { class: 'field-error', text: err.message }));
      } finally {
        if (mine === seq) card.classList.remove('busy');
        fit();
      }
    }
    function renderResult(r) {
      clear(result);
      for (const a of r.assumed)
        if (Object.hasOwn(T, `assumed_${a}`))
          result.append(h('p', { class: 'note', text: t(`assumed_${a}`) }));
      result.append(
        h('p', {
          class: 'small muted',
          text: t(r.rulesFrom === 'line' ? 'whatif_rules_line' : 'whatif_rules_app', {
            mode: t(`mode_${r.mode}`),
          }),
        }),
      );
      if (r.portalQueue)
        result.append(h('p', { class: 'note', text: t('whatif_portal_queue', { n: r.portalQueue }) }));
      if (r.waiting)
        result.append(h('p', { class: 'note warn', text: t('whatif_waiting', { n: r.waiting }) }));
      if (!r.tally.length) {
        result.append(h('p', { class: 'muted', text: t('queue_empty') }));
        return;
      }
      result.append(tallyChart(r.tally));
      // Runs of the same outcome (typically "waiting") read as one line with a count.
      const groups = [];
      for (const d of r.decisions) {
        const last = groups[groups.length - 1];
        if (
          last &&
          last.d.action === d.action &&
          last.d.operatorId === d.operatorId &&
          last.d.text === d.text
        )
          last.n++;
        else groups.push({ d, n: 1 });
      }
      result.append(
        h(
          'ol',
          { class: 'whatif-list' },
          groups.map(({ d, n }) =>
            h(
              'li',
              { class: `whatif-item ${d.action}`, value: d.n },
              h('span', { class: 'whatif-who', text: d.name || t(`action_${d.action}`) }),
              n > 1 ? h('span', { class: 'chip', text: `×${n}` }) : null,
              h('span', { class: 'whatif-why', text: d.text }),
            ),
          ),
        ),
      );
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    }
    return { card, schedule, run };
  }

  function tallyChart(tally) {
    const width = 420;
    const rowH = 24;
    const labelW = 150;
    const max = Math.max(...tally.map((x) => x.n), 1);
    const chart = svg('svg', {
      viewBox: `0 0 ${width} ${tally.length * rowH + 4}`,
      class: 'chart tally',
      role: 'img',
      'aria-label': t('whatif_title'),
    });
    tally.forEach((x, i) => {
      const y = i * rowH + 2;
      const name = x.name.length > 20 ? `${x.name.slice(0, 19)}…` : x.name;
      chart.append(
        svg('text', { x: labelW - 8, y: y + 14, 'text-anchor': 'end', class: 'chart-label', text: name }),
      );
      const w = (x.n / max) * (width - labelW - 40);
      chart.append(
        svg('rect', {
          x: labelW,
          y,
          width: Math.max(w, x.n ? 2 : 0),
          height: 18,
          rx: 3,
          class: 'bar-preview',
        }),
      );
      chart.append(svg('text', { x: labelW + w + 6, y: y + 14, class: 'chart-value', text: x.n }));
    });
    return chart;
  }

  // ---------------------------------------------------------------- save bar

  function saveBar(onSave, meta) {
    const status = h('span', { class: 'save-status muted', text: meta });
    const btn = h('button', { type: 'button', class: 'ui-btn success', id: 'save', text: t('save') });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      status.textContent = t('saving');
      try {
        await onSave();
        status.textContent = t('saved_at', { at: fmtTime(Date.now()) });
        notice(t('saved'), 'ok');
      } catch (err) {
        status.textContent =
          err.status === 400
            ? t('fix_fields')
            : err.status === 403
              ? t('forbidden')
              : `${t('save_failed')} ${err.message}`;
        if (err.status !== 400) notice(status.textContent, 'error');
      } finally {
        btn.disabled = false;
      }
    });
    if (!boot.isAdmin)
      return h(
        'div',
        { class: 'save-bar readonly' },
        h('span', { class: 'muted', text: t('readonly_note') }),
      );
    return h('div', { class: 'save-bar' }, btn, status);
  }

  function changedMeta(r) {
    if (!r.stored) return t('defaults_note');
    return t('changed_by', {
      at: fmtTime(r.updatedAt),
      who: r.updatedByName || (r.updatedBy ? nameOf(r.updatedBy) : '—'),
    });
  }

  // ---------------------------------------------------------------- open lines

  async function linesView(view) {
    const [{ lines, from }] = await Promise.all([
      api('GET', '/api/lines'),
      dashboardCache ? null : loadDashboard().catch(() => null),
    ]);
    clear(view);
    const picker = h('div', { class: 'b24-card line-picker' });
    const body = h('div', { id: 'line-body' });
    view.append(picker, body);
    if (!lines.length) {
      const idInput = h('input', { type: 'number', min: 1, class: 'num', id: 'line-id' });
      picker.append(
        h('p', { class: 'note', text: from === 'missing' ? t('note_no_lines') : t('lines_none') }),
        field(t('line_id'), idInput),
        h('button', {
          type: 'button',
          class: 'ui-btn light',
          text: t('open'),
          onclick: () => idInput.value && openLine(body, Number(idInput.value), `#${idInput.value}`),
        }),
      );
      fit();
      return;
    }
    const select = h(
      'select',
      { id: 'line-select' },
      lines.map((l) =>
        h('option', { value: l.id, text: `${l.name}${l.active ? '' : ` (${t('inactive')})`}` }),
      ),
    );
    select.addEventListener('change', () =>
      openLine(body, Number(select.value), select.selectedOptions[0].textContent),
    );
    picker.append(field(t('line'), select));
    await openLine(body, lines[0].id, lines[0].name);
  }

  async function openLine(body, lineId, lineName) {
    clear(body).append(h('div', { class: 'b24-card muted', text: t('loading') }));
    const r = await api('GET', `/api/settings/lines/${lineId}`);
    const draft = clone(r.value);
    const form = h('section', { class: 'b24-card settings-form', id: 'line-form' });
    const side = h('div', { class: 'side' });
    const preview = whatIf(`line:${lineId}`, () => draft, 'dialogs', {
      onErrors: (f) => showErrors(form, f, 'settings.'),
    });
    side.append(preview.card);
    clear(body).append(h('div', { class: 'settings-layout' }, form, side));

    const changed = (_path, structural) => {
      if (structural) paint();
      preview.schedule();
    };
    function paint() {
      clear(form);
      form.append(
        h('h2', { text: t('line_settings_title', { name: lineName }) }),
        check(
          t('f_use_line'),
          bound(
            draft,
            'useLineSettings',
            'bool',
            (path) => {
              // Turning the line's own settings off starts the app's rules from what the line does
              // now (its rules were not in use while the line's own applied), keeping per-operator values.
              if (!draft.useLineSettings && r.lineRules && r.value.useLineSettings) {
                const keep = new Map(draft.rules.queue.map((m) => [m.id, m]));
                draft.rules = clone(r.lineRules);
                draft.rules.queue = draft.rules.queue.map((m) => keep.get(m.id) || m);
              }
              changed(path, true);
            },
            { id: 'use-line-settings' },
          ),
          t('f_use_line_hint'),
        ),
      );
      if (draft.useLineSettings) {
        form.append(lineSummary(r.lineRules));
        if (r.lineRules)
          form.append(
            h('h3', { text: t('f_queue_overrides') }),
            membersTable(
              draft,
              'rules.queue',
              r.lineRules.queue.map((m) => m.id),
              changed,
              { editable: false },
            ),
          );
      } else {
        form.append(rulesEditor(draft, 'rules', changed, { idPrefix: 'line' }));
      }
      form.append(idleEditor(draft, 'idle', changed), h('div', { class: 'error-summary' }));
      form.append(
        saveBar(async () => {
          try {
            const saved = await api('PUT', `/api/settings/lines/${lineId}`, draft);
            showErrors(form, []);
            Object.assign(draft, clone(saved.value));
          } catch (err) {
            if (err.status === 400) showErrors(form, err.data.fields);
            throw err;
          }
        }, changedMeta(r)),
      );
      fit();
    }
    paint();
    preview.run();
  }

  function lineSummary(rules) {
    if (!rules) return h('p', { class: 'note', text: t('line_rules_unavailable') });
    const limit = rules.capacity.limit === null ? t('unlimited') : rules.capacity.limit;
    const pass = rules.passOnAfterSec === null ? t('never') : t('seconds_n', { n: rules.passOnAfterSec });
    const dl = (k, v) => [h('dt', { text: k }), h('dd', { text: v })];
    return h(
      'dl',
      { class: 'summary', id: 'line-summary' },
      dl(t('f_mode'), t(`mode_${rules.mode}`)),
      dl(t('f_pass_on'), pass),
      dl(t('f_limit'), `${limit} (${t(`counts_${rules.capacity.counts}`)})`),
      dl(t('f_check'), rules.availability.check ? t('yes') : t('no')),
      dl(t('f_responsible'), rules.responsible.enabled ? t('yes') : t('no')),
    );
  }

  // ---------------------------------------------------------------- leads

  async function leadsView(view) {
    const [r] = await Promise.all([
      api('GET', '/api/settings/leads'),
      dashboardCache ? null : loadDashboard().catch(() => null),
    ]);
    const draft = clone(r.value);
    let route;
    const form = h('section', { class: 'b24-card settings-form', id: 'leads-form' });
    const preview = whatIf('leads', () => draft, 'leads', {
      route: () => route,
      onErrors: (f) => showErrors(form, f, 'settings.'),
    });
    clear(view).append(
      h('div', { class: 'settings-layout' }, form, h('div', { class: 'side' }, preview.card)),
    );
    const changed = (_p, structural) => {
      if (structural) paint();
      preview.schedule();
    };
    function paint() {
      clear(form);
      form.append(
        h('h2', { text: t('leads_title') }),
        check(t('f_leads_enabled'), bound(draft, 'enabled', 'bool', changed)),
        check(t('f_skip_chosen'), bound(draft, 'skipIfResponsibleChosen', 'bool', changed)),
        check(t('f_skip_dialog'), bound(draft, 'skipIfFromAssignedDialog', 'bool', changed)),
        field(t('f_open_statuses'), bound(draft, 'openStatuses', 'list', changed), t('f_open_statuses_hint')),
        h('h3', { text: t('leads_default_queue') }),
        rulesEditor(draft, 'rules', changed, { idPrefix: 'leads', leads: true }),
        h('h3', { text: t('leads_routes') }),
        h('p', { class: 'muted small', text: t('leads_routes_hint') }),
      );
      draft.routes.forEach((rt, i) => {
        const details = h(
          'details',
          { class: 'route', open: route === i },
          h('summary', { text: rt.name || t('route_n', { n: i + 1 }) }),
          h(
            'div',
            { class: 'form-row' },
            field(t('f_route_name'), bound(draft, `routes.${i}.name`, 'text', changed)),
            field(
              t('f_route_sources'),
              bound(draft, `routes.${i}.sources`, 'list', changed),
              t('f_route_sources_hint'),
            ),
            field(
              t('f_route_lines'),
              bound(draft, `routes.${i}.lineIds`, 'intlist', changed),
              t('f_route_lines_hint'),
            ),
          ),
          rulesEditor(draft, `routes.${i}.rules`, changed, { leads: true }),
          boot.isAdmin
            ? h('button', {
                type: 'button',
                class: 'ui-btn light danger',
                text: t('route_remove'),
                onclick: () => {
                  draft.routes.splice(i, 1);
                  route = undefined;
                  changed('routes', true);
                },
              })
            : null,
        );
        details.addEventListener('toggle', () => {
          if (details.open) route = i;
          else if (route === i) route = undefined;
          preview.schedule();
        });
        form.append(details);
      });
      if (boot.isAdmin)
        form.append(
          h('button', {
            type: 'button',
            class: 'ui-btn light',
            text: t('route_add'),
            onclick: () => {
              draft.routes.push({
                name: t('route_n', { n: draft.routes.length + 1 }),
                sources: [],
                lineIds: [],
                rules: clone(draft.rules),
              });
              route = draft.routes.length - 1;
              changed('routes', true);
            },
          }),
        );
      form.append(
        h('div', { class: 'error-summary' }),
        saveBar(async () => {
          try {
            const saved = await api('PUT', '/api/settings/leads', draft);
            showErrors(form, []);
            Object.assign(draft, clone(saved.value));
          } catch (err) {
            if (err.status === 400) showErrors(form, err.data.fields);
            throw err;
          }
        }, changedMeta(r)),
      );
      fit();
    }
    paint();
    preview.run();
  }

  // ---------------------------------------------------------------- operators

  async function operatorsView(view) {
    const [r] = await Promise.all([
      api('GET', '/api/settings/operators'),
      dashboardCache ? null : loadDashboard().catch(() => null),
    ]);
    const draft = clone(r.value);
    const extra = [];
    const form = h('section', { class: 'b24-card settings-form wide', id: 'operators-form' });
    clear(view).append(form);
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'Europe/Moscow';
    const changed = (_p, structural) => {
      if (structural) paint();
    };
    function paint() {
      clear(form);
      const ids = [...new Set([...people.keys(), ...Object.keys(draft).map(Number), ...extra])].sort((a, b) =>
        nameOf(a).localeCompare(nameOf(b)),
      );
      form.append(
        h('h2', { text: t('operators_settings_title') }),
        h('p', { class: 'muted small', text: t('operators_settings_hint') }),
      );
      const rows = ids.map((id) => {
        const key = String(id);
        const o = draft[key] || { schedule: null, paused: false, pausedUntil: null };
        const ensure = () => {
          if (!draft[key]) draft[key] = o;
        };
        const paused = h('input', { type: 'checkbox', checked: o.paused });
        paused.dataset.path = `${key}.paused`;
        paused.disabled = !boot.isAdmin;
        paused.addEventListener('change', () => {
          ensure();
          o.paused = paused.checked;
          if (!o.paused) o.pausedUntil = null;
          changed(key, true);
        });
        const until = h('input', {
          type: 'datetime-local',
          value: o.pausedUntil ? toLocalInput(o.pausedUntil) : '',
        });
        until.dataset.path = `${key}.pausedUntil`;
        until.disabled = !boot.isAdmin || !o.paused;
        until.addEventListener('change', () => {
          ensure();
          o.pausedUntil = until.value ? new Date(until.value).getTime() : null;
        });
        const hasSchedule = h('input', { type: 'checkbox', checked: !!o.schedule });
        hasSchedule.dataset.path = `${key}.schedule`;
        hasSchedule.disabled = !boot.isAdmin;
        hasSchedule.addEventListener('change', () => {
          ensure();
          o.schedule = hasSchedule.checked
            ? {
                timeZone: tz,
                days: Object.fromEntries(WEEKDAYS.slice(0, 5).map((d) => [d, [['09:00', '18:00']]])),
              }
            : null;
          changed(key, true);
        });
        const sched = o.schedule
          ? h(
              'div',
              { class: 'schedule' },
              h(
                'label',
                { class: 'field inline tz-row' },
                h('span', { class: 'field-label', text: t('time_zone') }),
                scheduleTz(o, key),
              ),
              WEEKDAYS.map((d) =>
                h(
                  'label',
                  { class: 'field day' },
                  h('span', { class: 'field-label', text: t(`day_${d}`) }),
                  dayInput(o, key, d),
                ),
              ),
            )
          : null;
        return h(
          'tr',
          { 'data-operator': id },
          h('td', { class: 'op-name' }, nameOf(id), h('span', { class: 'muted small', text: ` #${id}` })),
          h(
            'td',
            {},
            h('label', { class: 'check inline' }, paused, h('span', { text: t('pause') })),
            o.paused
              ? h(
                  'label',
                  { class: 'field pause-until' },
                  h('span', { class: 'field-label', text: t('pause_until') }),
                  until,
                )
              : null,
          ),
          h(
            'td',
            {},
            h('label', { class: 'check inline' }, hasSchedule, h('span', { text: t('own_hours') })),
            sched,
          ),
        );
      });
      form.append(
        h(
          'table',
          { class: 'grid-table operators' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { text: t('col_operator') }),
              h('th', { text: t('col_pause') }),
              h('th', { text: t('col_hours') }),
            ),
          ),
          h(
            'tbody',
            {},
            rows.length
              ? rows
              : h('tr', {}, h('td', { colspan: 3, class: 'muted', text: t('operators_none') })),
          ),
        ),
      );
      if (boot.isAdmin) {
        const byId = h('input', { type: 'number', min: 1, class: 'num', placeholder: t('user_id') });
        form.append(
          h(
            'div',
            { class: 'add-member' },
            byId,
            h('button', {
              type: 'button',
              class: 'ui-btn light',
              text: t('add_operator'),
              onclick: () => {
                const id = Number(byId.value);
                if (Number.isInteger(id) && id > 0) {
                  extra.push(id);
                  paint();
                }
              },
            }),
          ),
        );
      }
      form.append(
        h('div', { class: 'error-summary' }),
        saveBar(async () => {
          try {
            const saved = await api('PUT', '/api/settings/operators', draft);
            showErrors(form, []);
            for (const k of Object.keys(draft)) delete draft[k];
            Object.assign(draft, clone(saved.value));
          } catch (err) {
            if (err.status === 400) showErrors(form, err.data.fields);
            throw err;
          }
        }, changedMeta(r)),
      );
      fit();
    }
    function scheduleTz(o, key) {
      const el = h('input', { type: 'text', value: o.schedule.timeZone, class: 'tz' });
      el.dataset.path = `${key}.schedule.timeZone`;
      el.disabled = !boot.isAdmin;
      el.addEventListener('input', () => {
        o.schedule.timeZone = el.value.trim();
      });
      return el;
    }
    function dayInput(o, key, d) {
      const shown = (o.schedule.days[d] || []).map(([a, b]) => `${a}-${b}`).join(', ');
      const el = h('input', { type: 'text', value: shown, placeholder: '—', class: 'hours' });
      el.dataset.path = `${key}.schedule.days.${d}`;
      el.disabled = !boot.isAdmin;
      el.addEventListener('input', () => {
        const parts = el.value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (parts.length)
          o.schedule.days[d] = parts.map((s) => {
            const [a, b] = s.split('-');
            return [String(a || '').trim(), String(b || '').trim()];
          });
        else delete o.schedule.days[d];
      });
      return el;
    }
    paint();
  }

  function toLocalInput(ms) {
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  // ---------------------------------------------------------------- log

  async function logView(view) {
    const kind = h(
      'select',
      { id: 'log-kind' },
      ['', 'dialog', 'lead'].map((k) => h('option', { value: k, text: t(k ? `kind_${k}` : 'kind_all') })),
    );
    const object = h('input', { type: 'text', id: 'log-object', placeholder: t('log_object_placeholder') });
    const list = h('div', { id: 'log-results' });
    const load = async () => {
      const q = new URLSearchParams({ limit: '100' });
      if (kind.value) q.set('kind', kind.value);
      if (object.value.trim()) q.set('objectId', object.value.trim());
      const r = await api('GET', `/api/log?${q}`);
      clear(list).append(logList(r.entries));
      fit();
    };
    kind.addEventListener('change', load);
    let timer = 0;
    object.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(load, 300);
    });
    clear(view).append(
      h(
        'section',
        { class: 'b24-card' },
        h('h2', { text: t('log_title') }),
        h('p', { class: 'muted small', text: t('log_hint') }),
        h('div', { class: 'form-row' }, field(t('kind'), kind), field(t('log_object'), object)),
        list,
      ),
    );
    await load();
  }

  const VIEWS = {
    dashboard: dashboardView,
    lines: linesView,
    leads: leadsView,
    operators: operatorsView,
    log: logView,
  };

  // ---------------------------------------------------------------- start

  document.title = t('title');
  $('app-title').textContent = t('title');
  const viewer = $('viewer');
  viewer.textContent = `${boot.viewerName} · ${boot.isAdmin ? t('role_admin') : t('role_readonly')}`;
  viewer.classList.add(boot.isAdmin ? 'admin' : 'readonly');
  document.body.dataset.admin = boot.isAdmin ? 'yes' : 'no';
  if (typeof ResizeObserver === 'function') new ResizeObserver(() => fit()).observe(document.body);
  initFrame();
  go('dashboard');
})();
