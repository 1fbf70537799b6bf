// The incident console: a small page of the engine's own, served by the API at /console. No build
// step: plain ES modules, oauth4webapi (the library under openid-client) for the OIDC authorization
// code flow with PKCE, and the REST API for everything else — so every rule the API enforces
// (roles, four-eyes, routing) holds here too. Every value from the API is written as text, never HTML.
import * as oauth from '/console/vendor/oauth4webapi.js';

const $main = document.getElementById('main');
const config = await (await fetch('/console/config.json')).json();
const REDIRECT = `${location.origin}/console/`;
let session = JSON.parse(sessionStorage.getItem('ir-session') ?? 'null');

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}
const svg = (tag, attrs = {}, ...children) => {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
};
const show = (...nodes) => $main.replaceChildren(...nodes.flat());

// ---- sign-in -------------------------------------------------------------------------------
// A plain-http issuer only on loopback (a lab); oauth4webapi refuses it otherwise.
const insecure = () => {
  const u = new URL(config.issuer);
  return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)
    ? { [oauth.allowInsecureRequests]: true }
    : {};
};

async function authServer() {
  const issuer = new URL(config.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure()));
}

async function signIn() {
  if (config.auth === 'dev') {
    const actor = prompt('Dev-mode API: who are you?') ?? '';
    if (!/^[A-Za-z0-9@._+-]{1,100}$/.test(actor))
      return show(el('p', { class: 'error' }, 'A name of letters, digits and @ . _ + -'));
    session = { actor };
    sessionStorage.setItem('ir-session', JSON.stringify(session));
    return route();
  }
  const as = await authServer();
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem('ir-pkce', JSON.stringify({ verifier, state, back: location.hash }));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  }).toString();
  location.assign(url);
}

async function finishSignIn() {
  const pending = JSON.parse(sessionStorage.getItem('ir-pkce') ?? 'null');
  sessionStorage.removeItem('ir-pkce');
  if (!pending) throw new Error('no sign-in was started from this tab');
  const as = await authServer();
  const client = { client_id: config.clientId };
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    REDIRECT,
    pending.verifier,
    insecure(),
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  const claims = oauth.getValidatedIdTokenClaims(tokens) ?? {};
  session = {
    token: tokens.access_token,
    actor: claims.preferred_username ?? claims.sub,
    expiresAt: Date.now() + (tokens.expires_in ?? 60) * 1000,
  };
  sessionStorage.setItem('ir-session', JSON.stringify(session));
  history.replaceState(null, '', `/console/${pending.back || '#/'}`);
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (session?.token) headers.authorization = `Bearer ${session.token}`;
  else if (session?.actor) headers['x-actor'] = session.actor;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) {
    sessionStorage.removeItem('ir-session');
    session = null;
    throw new Error('Your sign-in is no longer accepted: reload the page to sign in again.');
  }
  if (!res.ok)
    throw new Error(`${data.error ?? res.status}: ${data.detail ?? data.message ?? res.statusText}`);
  return data;
}

// ---- pages ---------------------------------------------------------------------------------
const rel = (iso) => {
  const ms = Date.parse(iso) - Date.now();
  const m = Math.round(Math.abs(ms) / 60000);
  const t = m < 1 ? 'now' : m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
  return t === 'now' ? t : ms > 0 ? `in ${t}` : `${t} ago`;
};

async function listPage(params) {
  const filters = el(
    'form',
    {
      class: 'filters',
      on: {
        change: (e) => {
          const q = new URLSearchParams(new FormData(e.currentTarget));
          for (const [k, v] of [...q]) if (!v) q.delete(k);
          location.hash = `#/?${q}`;
        },
      },
    },
    el('label', {}, 'Phase ', select('phase', ['', ...config.phases], params.get('phase'))),
    el(
      'label',
      {},
      'Severity ',
      select('severity', ['', 'low', 'medium', 'high', 'critical'], params.get('severity')),
    ),
    el('label', {}, 'Status ', select('status', ['', 'open', 'closed'], params.get('status'))),
  );
  const q = new URLSearchParams({ limit: '100' });
  for (const k of ['phase', 'severity', 'status']) if (params.get(k)) q.set(k, params.get(k));
  const { incidents } = await api('GET', `/incidents?${q}`);
  show(
    el('h1', {}, 'Incidents'),
    filters,
    incidents.length
      ? el(
          'table',
          { id: 'incidents' },
          el(
            'tr',
            {},
            ...['Incident', 'Phase', 'Severity', 'Playbook', 'Opened', 'Waiting for'].map((h) =>
              el('th', {}, h),
            ),
          ),
          incidents.map((i) =>
            el(
              'tr',
              {
                class: 'row',
                'data-id': i.incidentId,
                on: { click: () => (location.hash = `#/incidents/${i.incidentId}`) },
              },
              el('td', {}, el('a', { href: `#/incidents/${i.incidentId}` }, i.incidentId)),
              el('td', {}, i.phase ?? '?'),
              el('td', { class: `sev-${i.severity}` }, i.severity ?? '?'),
              el('td', {}, i.playbook ?? '?'),
              el('td', { title: i.startedAt }, rel(i.startedAt)),
              el('td', {}, i.pendingApprovals.join(', ') || '—'),
            ),
          ),
        )
      : el('p', { class: 'muted' }, 'No incidents match.'),
  );
}

function select(name, options, value) {
  return el(
    'select',
    { name },
    options.map((o) => el('option', { value: o, selected: o === (value ?? '') }, o || 'any')),
  );
}

async function inboxPage() {
  const { approvals } = await api('GET', '/approvals?status=pending');
  show(
    el('h1', {}, 'Approvals waiting'),
    approvals.length
      ? el(
          'table',
          { id: 'inbox' },
          el(
            'tr',
            {},
            ...['Incident', 'Approval', 'Summary', 'Deadline', 'Quorum', 'You'].map((h) => el('th', {}, h)),
          ),
          approvals.map((a) =>
            el(
              'tr',
              {},
              el('td', {}, el('a', { href: `#/incidents/${a.incidentId}` }, a.incidentId)),
              el('td', {}, a.approvalId),
              el('td', {}, a.summary),
              el('td', { title: a.deadline }, rel(a.deadline)),
              el('td', {}, `${a.quorum.approved}/${a.quorum.required}`),
              el('td', {}, a.canDecide ? 'can decide' : a.whyNot),
            ),
          ),
        )
      : el('p', { class: 'muted' }, 'Nothing is waiting.'),
  );
}

const PHASE_COLOURS = {
  triage: '#a9b4c6',
  evidence: '#8fa3c7',
  contain: '#e67e22',
  verify: '#f1c40f',
  contained: '#27ae60',
  'containment-unverified': '#c0392b',
  investigate: '#2980b9',
  eradicate: '#8e44ad',
  recover: '#16a085',
  recovered: '#2ecc71',
  review: '#7f8c8d',
  closed: '#4d5563',
};

/** Phases over time, actions as marks, approvals as the waits they were. */
function chart(s) {
  const t0 = Date.parse(s.openedAt);
  const end =
    Math.max(Date.parse(s.closedAt ?? new Date().toISOString()), ...s.timeline.map((t) => Date.parse(t.at))) +
    1;
  const W = 1100,
    left = 110,
    right = 20,
    width = W - left - right;
  const x = (iso) => left + ((Date.parse(iso) - t0) / (end - t0)) * width;
  const lanes = ['phase', 'actions', 'approvals', 'people'];
  const approvals = s.approvals;
  const H = 40 + lanes.length * 34 + approvals.length * 14;
  const g = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    width: '100%',
    role: 'img',
    'aria-label': 'incident timeline',
    id: 'timeline-chart',
  });
  lanes.forEach((l, i) => g.append(svg('text', { x: 8, y: 30 + i * 34 + 14 }, l)));
  // Phase bands, from each entry's phase.
  const bands = [];
  for (const t of s.timeline) {
    if (!bands.length || bands.at(-1).phase !== t.phase) bands.push({ phase: t.phase, from: t.at });
  }
  bands.forEach((b, i) => {
    const to = bands[i + 1]?.from ?? new Date(end).toISOString();
    const r = svg('rect', {
      x: x(b.from),
      y: 30,
      width: Math.max(2, x(to) - x(b.from)),
      height: 20,
      fill: PHASE_COLOURS[b.phase] ?? '#999',
      class: 'phase-band',
      'data-phase': b.phase,
    });
    r.append(svg('title', {}, `${b.phase} from ${b.from}`));
    g.append(r);
    if (x(to) - x(b.from) > 60) g.append(svg('text', { x: x(b.from) + 4, y: 44, fill: '#fff' }, b.phase));
  });
  for (const a of s.actions) {
    const fill = a.status === 'done' ? '#1e8449' : a.status === 'failed' ? '#c0392b' : '#a0a6ad';
    const c = svg('circle', { cx: x(a.at), cy: 30 + 34 + 10, r: 5, fill, class: 'action-mark' });
    c.append(svg('title', {}, `${a.action} ${a.status}${a.target ? ` on ${a.target}` : ''} at ${a.at}`));
    g.append(c);
  }
  approvals.forEach((a, i) => {
    const decided = a.decisions.at(-1)?.at;
    const to = a.status === 'pending' ? new Date().toISOString() : (decided ?? a.deadline);
    const y = 30 + 68 + i * 14;
    const r = svg('rect', {
      x: x(a.requestedAt),
      y,
      width: Math.max(3, x(to) - x(a.requestedAt)),
      height: 10,
      rx: 3,
      fill: a.status === 'approved' ? '#27ae60' : a.status === 'pending' ? '#f39c12' : '#95a5a6',
      class: 'approval-wait',
    });
    r.append(svg('title', {}, `${a.id}: ${a.status} (${a.requestedAt} → ${to})`));
    g.append(r, svg('text', { x: Math.min(x(to) + 4, W - 160), y: y + 9 }, `${a.action} ${a.status}`));
  });
  const peopleY = 30 + 68 + approvals.length * 14 + 24;
  g.setAttribute('viewBox', `0 0 ${W} ${peopleY + 30}`);
  g.querySelectorAll('text')[3]?.setAttribute('y', peopleY + 4);
  for (const t of s.timeline.filter((t) => t.actor && t.actor !== 'engine')) {
    const m = svg('rect', { x: x(t.at) - 3, y: peopleY - 6, width: 6, height: 12, fill: '#2458d6' });
    m.append(svg('title', {}, `${t.actor}: ${t.message}`));
    g.append(m);
  }
  g.append(
    svg('text', { x: left, y: peopleY + 26 }, s.openedAt),
    svg('text', { x: W - right - 150, y: peopleY + 26 }, new Date(end).toISOString()),
  );
  return g;
}

async function incidentPage(id) {
  const [s, evidence] = await Promise.all([
    api('GET', `/incidents/${id}`),
    api('GET', `/incidents/${id}/evidence`).catch((e) => ({ error: e.message })),
  ]);
  const pending = s.approvals.filter((a) => a.status === 'pending');
  const message = el('p', { id: 'message', role: 'status' });
  const decide = async (a, decision, comment) => {
    try {
      const r = await api('POST', `/incidents/${id}/approvals`, {
        approvalId: a.id,
        decision,
        ...(comment ? { comment } : {}),
      });
      message.className = 'ok';
      message.textContent = `${r.id}: ${r.status}`;
      setTimeout(() => route(), 800);
    } catch (e) {
      message.className = 'error';
      message.textContent = e.message;
    }
  };
  const ui = config.temporalUi
    ? `${config.temporalUi}/namespaces/${config.namespace}/workflows/${encodeURIComponent(id)}`
    : undefined;
  show(
    el('h1', {}, `${s.playbook} · ${s.principal.username}`),
    el(
      'p',
      {},
      el('span', { class: `sev-${s.severity}` }, s.severity),
      ` · phase ${s.phase} · ${s.status} · opened ${s.openedAt} by ${s.openedBy}`,
      s.containedAt ? ` · contained ${s.containedAt}` : '',
      ' · ',
      ui ? el('a', { href: ui, target: '_blank', rel: 'noopener' }, 'Temporal UI') : '',
    ),
    el('div', { class: 'card' }, chart(s)),
    message,
    el('h2', {}, 'Waiting for approval'),
    pending.length
      ? pending.map((a) => {
          const comment = el('input', { placeholder: 'comment', name: `comment-${a.id}`, size: 30 });
          return el(
            'div',
            { class: 'card approval', 'data-approval': a.id },
            el(
              'span',
              { class: 'summary' },
              `${a.id}: ${a.summary} (deadline ${rel(a.deadline)}, ${a.decisions.filter((d) => d.decision === 'approve').length}/${a.quorum})`,
            ),
            comment,
            el(
              'button',
              { class: 'approve', on: { click: () => decide(a, 'approve', comment.value) } },
              'Approve',
            ),
            el(
              'button',
              { class: 'reject', on: { click: () => decide(a, 'reject', comment.value) } },
              'Reject',
            ),
          );
        })
      : el('p', { class: 'muted' }, 'Nothing.'),
    el('h2', {}, 'Evidence'),
    el(
      'p',
      { id: 'evidence', class: evidence.error ? 'error' : evidence.verification.ok ? 'ok' : 'error' },
      evidence.error
        ? evidence.error
        : evidence.verification.ok
          ? `Verified: ${evidence.manifest.length} entries, hash chain and stored objects intact.`
          : `Does NOT verify: ${(evidence.verification.problems ?? []).join('; ')}`,
    ),
    el('h2', {}, 'Notes'),
    el(
      'form',
      {
        id: 'note',
        on: {
          submit: async (e) => {
            e.preventDefault();
            const text = new FormData(e.currentTarget).get('text');
            try {
              await api('POST', `/incidents/${id}/notes`, { text });
              route();
            } catch (err) {
              message.className = 'error';
              message.textContent = err.message;
            }
          },
        },
      },
      el('input', {
        name: 'text',
        size: 80,
        required: true,
        placeholder: 'a note for the timeline and the review',
      }),
      ' ',
      el('button', {}, 'Add note'),
    ),
    el('h2', {}, 'Timeline'),
    el(
      'div',
      { class: 'card timeline-list' },
      s.timeline.map(
        (t) =>
          `${t.at}  ${t.kind.padEnd(12)} ${t.message}${t.actor && t.actor !== 'engine' && !t.message.startsWith(t.actor) ? ` (${t.actor})` : ''}\n`,
      ),
    ),
  );
}

async function route() {
  try {
    if (!session || (session.expiresAt && session.expiresAt < Date.now())) return signIn();
    document.getElementById('who').textContent = `signed in as ${session.actor}`;
    const [path, query] = location.hash.slice(1).split('?');
    const m = /^\/incidents\/(incident-[0-9a-f]{24})$/.exec(path ?? '');
    if (m) return await incidentPage(m[1]);
    if (path === '/inbox') return await inboxPage();
    return await listPage(new URLSearchParams(query ?? ''));
  } catch (e) {
    show(el('p', { class: 'error' }, e.message));
  }
}

addEventListener('hashchange', route);
if (new URL(location.href).searchParams.has('code')) {
  try {
    await finishSignIn();
  } catch (e) {
    show(el('p', { class: 'error' }, `Sign-in failed: ${e.message}`));
  }
}
route();
