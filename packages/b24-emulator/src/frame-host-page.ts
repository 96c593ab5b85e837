/**
 * The HTML of the emulated Bitrix24 page that hosts the app's iframe, and its side of the
 * postMessage protocol the SDK's frame speaks (b24jssdk.md §5.2): commands arrive as
 * "command[:json]:callbackId:APP_SID" strings, answers go back as "callbackId:json".
 */

export interface FramePageModel {
  portalTitle: string;
  userName: string;
  isAdmin: boolean;
  frameName: string;
  formAction: string;
  formFields: Record<string, string>;
  appOrigin: string;
  appSid: string;
  initData: Record<string, unknown>;
  appPath: string;
  lang: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe to put inside a <script> element. */
const scriptJson = (v: unknown) =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028|\u2029/g, '');

const CLIENT_SCRIPT = `
(function () {
  var cfg = JSON.parse(document.getElementById('emu-config').textContent);
  var frame = document.getElementById('app-frame');
  var form = document.getElementById('app-form');
  var log = document.getElementById('emu-log');
  function note(text) {
    var li = document.createElement('li');
    li.textContent = new Date().toLocaleTimeString() + '  ' + text;
    log.insertBefore(li, log.firstChild);
    while (log.children.length > 50) log.removeChild(log.lastChild);
  }
  function reply(cb, payload) {
    if (!cb) return;
    var data = cb + ':' + (payload === undefined ? '' : JSON.stringify(payload));
    frame.contentWindow.postMessage(data, cfg.appOrigin);
  }
  function api(path, extra) {
    var body = Object.assign({ sid: cfg.appSid }, extra || {});
    return fetch('/emulator/frame/' + path, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }
  function load(action, fields) {
    form.setAttribute('action', action);
    form.innerHTML = '';
    Object.keys(fields).forEach(function (k) {
      var input = document.createElement('input');
      input.type = 'hidden'; input.name = k; input.value = fields[k];
      form.appendChild(input);
    });
    form.submit();
  }
  function reload(path) {
    return api('reload', { path: path }).then(function (r) {
      cfg.initData = r.initData;
      load(r.action, r.fields);
    });
  }
  function parse(data) {
    if (typeof data === 'string') {
      var parts = data.split(':');
      var out = { cmd: parts[0], params: null, cb: '', sid: '' };
      if (parts.length >= 3) {
        out.sid = parts[parts.length - 1];
        out.cb = parts[parts.length - 2];
        var mid = parts.slice(1, parts.length - 2).join(':');
        if (mid) { try { out.params = JSON.parse(mid); } catch (e) { out.params = mid; } }
      } else if (parts.length === 2) { out.cb = parts[1]; }
      return out;
    }
    if (data && typeof data === 'object' && data.method) {
      return { cmd: data.method, params: data.params, cb: data.callback, sid: data.appSid };
    }
    return null;
  }
  window.addEventListener('message', function (ev) {
    if (ev.source !== frame.contentWindow) return;
    var m = parse(ev.data);
    if (!m || (m.sid && m.sid !== cfg.appSid)) return;
    note(m.cmd + (m.params ? ' ' + JSON.stringify(m.params) : ''));
    switch (m.cmd) {
      case 'getInitData':
        reply(m.cb, cfg.initData);
        break;
      case 'setInstallFinish':
        api('finish-install').then(function () {
          cfg.initData.INSTALL = false;
          reply(m.cb);
          document.body.setAttribute('data-installed', 'Y');
          setTimeout(function () { reload(cfg.appPath); }, 50);
        });
        break;
      case 'refreshAuth':
        api('refresh-auth').then(function (t) {
          cfg.initData.AUTH_ID = t.AUTH_ID; cfg.initData.REFRESH_ID = t.REFRESH_ID; cfg.initData.AUTH_EXPIRES = t.AUTH_EXPIRES;
          reply(m.cb, t);
        });
        break;
      case 'resizeWindow':
        if (m.params && m.params.height) frame.style.height = (parseInt(m.params.height, 10) || 600) + 'px';
        reply(m.cb);
        break;
      case 'setTitle':
        if (m.params && m.params.title) { document.getElementById('emu-title').textContent = m.params.title; document.title = m.params.title; }
        reply(m.cb);
        break;
      case 'reloadWindow':
        reply(m.cb);
        reload(null);
        break;
      case 'setAppOption':
      case 'setUserOption':
        var key = m.cmd === 'setAppOption' ? 'APP_OPTIONS' : 'USER_OPTIONS';
        if (m.params && typeof m.params === 'object') cfg.initData[key] = Object.assign({}, cfg.initData[key], m.params);
        reply(m.cb);
        break;
      case 'closeApplication':
        reply(m.cb);
        document.getElementById('emu-title').textContent = '(closed)';
        break;
      default:
        reply(m.cb);
    }
  });
  load(form.getAttribute('action'), cfg.formFields);
})();
`;

export function renderFramePage(m: FramePageModel): string {
  const config = {
    initData: m.initData,
    appOrigin: m.appOrigin,
    appSid: m.appSid,
    appPath: m.appPath,
    formFields: m.formFields,
  };
  return `<!doctype html>
<html lang="${escapeHtml(m.lang)}">
<head>
<meta charset="utf-8">
<title>${escapeHtml(m.portalTitle)}</title>
<style>
  body { margin: 0; font: 14px/1.4 "Helvetica Neue", Arial, sans-serif; background: #eef2f4; color: #333; }
  header { height: 48px; background: #2fc6f6; color: #fff; display: flex; align-items: center; padding: 0 20px; gap: 16px; }
  header .logo { font-weight: bold; font-size: 18px; }
  header .user { margin-left: auto; }
  .layout { display: flex; }
  nav { width: 200px; padding: 16px; }
  nav a { display: block; color: #535c69; padding: 6px 0; text-decoration: none; }
  main { flex: 1; padding: 16px 20px; }
  #emu-title { margin: 0 0 12px; font-weight: normal; font-size: 24px; }
  #app-frame { width: 100%; height: calc(100vh - 190px); border: 0; background: #fff; border-radius: 8px; }
  details { margin-top: 8px; font-size: 12px; color: #777; }
</style>
</head>
<body data-installed="${m.initData.INSTALL ? 'N' : 'Y'}">
<header><span class="logo">Bitrix24</span><span>${escapeHtml(m.portalTitle)}</span>
<span class="user">${escapeHtml(m.userName)}${m.isAdmin ? ' (admin)' : ''}</span></header>
<div class="layout">
<nav><a>Feed</a><a>Tasks</a><a>CRM</a><a>Contact Center</a><a><b>Applications</b></a></nav>
<main>
<h1 id="emu-title">${escapeHtml(m.portalTitle)}</h1>
<iframe id="app-frame" name="${escapeHtml(m.frameName)}" title="application"></iframe>
<form id="app-form" method="POST" target="${escapeHtml(m.frameName)}" action="${escapeHtml(m.formAction)}"></form>
<details><summary>frame messages</summary><ul id="emu-log"></ul></details>
</main>
</div>
<script type="application/json" id="emu-config">${scriptJson(config)}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>`;
}

export function renderMessagePage(title: string, text: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font:14px Arial,sans-serif;padding:40px"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
}
