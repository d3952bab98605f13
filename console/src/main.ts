/**
 * The live console page: sign in, subscribe, watch, send, answer. Everything shown is built with
 * text nodes, never HTML strings: messages come from devices and must not run in the page.
 */
import {
  BoundedList,
  base64ToBytes,
  clip,
  type Envelope,
  messageEnvelopeAddress,
  messagePath,
  payloadKind,
  payloadView,
  summarize,
  tokenInfo,
  utf8ToBase64,
  valueFromInput,
} from './format';
import { type Credentials, Session, type SessionState } from './session';

const MAX_MESSAGES = 500;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
};
const value = (id: string): string => $<HTMLInputElement>(id).value;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const apiBase = location.origin;
const wsUrl = `${location.origin.replace(/^http/, 'ws')}/ws/2`;

let credentials: Credentials | undefined;

function authorization(): string | undefined {
  if (!credentials) return undefined;
  return credentials.kind === 'token' ? `Bearer ${credentials.token}` : `Basic ${utf8ToBase64(`${credentials.user}:${credentials.password}`)}`;
}

function notice(text: string): void {
  $('notice').textContent = text;
}

function showError(text: string | undefined): void {
  const box = $('page-error');
  box.textContent = text ?? '';
  box.hidden = text === undefined;
}

// ---- connection state -------------------------------------------------------------------------

let countdown: ReturnType<typeof setInterval> | undefined;

function showState(state: SessionState): void {
  const node = $('connection-state');
  node.dataset.state = state.kind;
  if (countdown) clearInterval(countdown);
  countdown = undefined;
  $('reconnect-countdown').textContent = '';
  switch (state.kind) {
    case 'signed-out':
      node.textContent = 'Signed out';
      return;
    case 'connecting':
      node.textContent = 'Connecting…';
      return;
    case 'connected':
      node.textContent = 'Connected, subscribing…';
      return;
    case 'subscribed':
      node.textContent = 'Connected and subscribed';
      showError(undefined);
      return;
    case 'stopped':
      node.textContent = `Not connected: ${state.reason}. Sign in again.`;
      return;
    case 'waiting': {
      // The live region announces the change once; the countdown beside it is not announced every second.
      node.textContent = `Disconnected (${state.reason}); reconnecting`;
      const tick = () => {
        $('reconnect-countdown').textContent = `in ${Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000))} s`;
      };
      tick();
      countdown = setInterval(tick, 1000);
    }
  }
}

/** Why the handshake was refused: the same credentials on the HTTP API answer with Ditto's error. */
async function explainRefusal(): Promise<void> {
  const auth = authorization();
  if (!auth) return;
  try {
    const res = await fetch(`${apiBase}/api/2/things/console.check:whoami`, { headers: { authorization: auth } });
    if (res.status === 401 || res.status === 403) {
      const body = (await res.json()) as { error?: string; message?: string; description?: string };
      showError(`Sign-in failed (${res.status} ${body.error ?? ''}): ${body.message ?? ''} ${body.description ?? ''}`.trim());
      // These credentials will not work on the next try either.
      session.halt('the credentials were refused');
      return;
    }
    showError('The WebSocket connection was refused although the credentials are accepted over HTTP; retrying.');
  } catch (e) {
    showError(`The router cannot be reached: ${(e as Error).message}`);
  }
}

// ---- messages ---------------------------------------------------------------------------------

interface Entry {
  readonly at: Date;
  readonly envelope: Envelope;
  readonly node: HTMLLIElement;
  readonly text: string;
}

const entries = new BoundedList<Entry>(MAX_MESSAGES);
let paused = false;
const held = new BoundedList<Entry>(MAX_MESSAGES);

function payloadNode(envelope: Envelope, contentType: string | undefined): HTMLElement {
  const view = payloadView(envelope.value, contentType);
  switch (view.kind) {
    case 'none':
      return el('p', 'no payload', 'muted');
    case 'json':
    case 'text':
      return el('pre', clip(view.text), 'payload');
    case 'bytes': {
      const box = el('div');
      box.append(el('p', `${view.size} bytes`, 'muted'), el('pre', `base64: ${clip(view.base64)}`, 'payload'), el('pre', `hex: ${view.hex}`));
      return box;
    }
  }
}

function entryFor(envelope: Envelope): Entry {
  const at = new Date();
  const s = summarize(envelope);
  const li = el('li');
  li.className = s.error ? 'message error-entry' : 'message';
  li.dataset.subject = s.subject;
  const row = el('div', undefined, 'row');
  row.append(
    el('time', at.toLocaleTimeString(), 'muted'),
    el('span', s.thingId, 'thing'),
    ...(s.featureId !== undefined ? [el('span', `feature ${s.featureId}`)] : []),
    el('span', s.error ? 'error' : s.direction, 'direction'),
    el('span', s.subject, 'subject'),
    ...(s.status !== undefined ? [el('span', `status ${s.status}`, 'status')] : []),
    el('span', s.correlationId !== undefined ? `correlation-id ${s.correlationId}` : 'no correlation-id', 'mono correlation'),
  );
  li.append(row, payloadNode(envelope, s.contentType));
  const details = el('details');
  details.append(el('summary', 'Headers'), el('pre', JSON.stringify(envelope.headers ?? {}, null, 2)));
  li.append(details);
  // Only a message whose sender waits can be answered (response-required is not false).
  const waits = envelope.headers?.['response-required'] !== false && envelope.headers?.['response-required'] !== 'false';
  if (!s.error && s.status === undefined && s.correlationId !== undefined && waits) {
    const answer = el('button', 'Answer');
    answer.type = 'button';
    answer.className = 'answer';
    answer.addEventListener('click', () => startAnswer(envelope));
    li.append(answer);
  }
  const text = clip(
    `${s.thingId} ${s.featureId ?? ''} ${s.direction} ${s.subject} ${s.correlationId ?? ''} ${JSON.stringify(envelope.value ?? '')}`,
  ).toLowerCase();
  return { at, envelope, node: li, text };
}

function matchesFilter(entry: Entry): boolean {
  const needle = value('message-filter').trim().toLowerCase();
  return needle === '' || entry.text.includes(needle);
}

function render(): void {
  const list = $('messages');
  const shown = entries.all().filter(matchesFilter);
  list.replaceChildren(...shown.map((e) => e.node));
  const extra = [paused ? `paused, ${held.size} waiting` : '', entries.dropped > 0 ? `${entries.dropped} older dropped` : ''].filter((t) => t !== '');
  $('message-count').textContent = `(${shown.length} of ${entries.size}${extra.length > 0 ? `; ${extra.join('; ')}` : ''})`;
}

function receive(envelope: Envelope): void {
  const entry = entryFor(envelope);
  if (paused) {
    held.add(entry);
    $('message-count').textContent = `(paused, ${held.size} waiting)`;
    return;
  }
  entries.add(entry);
  render();
}

// ---- answering --------------------------------------------------------------------------------

let answering: Envelope | undefined;

function startAnswer(envelope: Envelope): void {
  answering = envelope;
  const s = summarize(envelope);
  $('answer-about').textContent = `${s.thingId} ${envelope.path}`;
  $<HTMLInputElement>('answer-correlation').value = s.correlationId ?? '';
  $('answer-result').textContent = '';
  $('answer-panel').hidden = false;
  $<HTMLInputElement>('answer-status').focus();
}

async function sendAnswer(): Promise<void> {
  if (!answering) return;
  const contentType = value('answer-content-type');
  const parsed = valueFromInput($<HTMLTextAreaElement>('answer-payload').value, contentType);
  if (parsed.error) {
    $('answer-result').textContent = parsed.error;
    return;
  }
  const response: Envelope = {
    topic: answering.topic,
    path: answering.path,
    headers: { 'correlation-id': value('answer-correlation'), 'content-type': contentType },
    status: Number(value('answer-status')),
    ...(parsed.value !== undefined ? { value: parsed.value } : {}),
  };
  try {
    await session.send(response);
    $('answer-result').textContent = `Answer sent with status ${response.status}.`;
  } catch (e) {
    $('answer-result').textContent = `Not sent: ${(e as Error).message}`;
  }
}

// ---- sending ----------------------------------------------------------------------------------

function showResult(title: string, status: number | string, headers: Record<string, unknown>, body: HTMLElement, ms: number): void {
  const box = $('send-result');
  const head = el('p');
  head.append(el('strong', `${title}: ${status}`), el('span', ` in ${ms} ms`, 'muted rtt'));
  const details = el('details');
  details.append(el('summary', 'Headers'), el('pre', JSON.stringify(headers, null, 2)));
  box.replaceChildren(head, body, details);
  box.dataset.status = String(status);
}

async function sendMessage(): Promise<void> {
  const thingId = value('send-thing').trim();
  const featureId = value('send-feature').trim();
  const direction = value('send-direction') as 'inbox' | 'outbox';
  const subject = value('send-subject').trim();
  const contentType = value('send-content-type').trim() || 'application/json';
  const timeoutSeconds = Math.max(0, Number(value('send-timeout')) || 0);
  const via = (document.querySelector('input[name="send-via"]:checked') as HTMLInputElement).value;
  const payload = $<HTMLTextAreaElement>('send-payload').value;
  const parsed = valueFromInput(payload, contentType);
  if (parsed.error) {
    showResult('Not sent', 'invalid payload', {}, el('p', parsed.error), 0);
    return;
  }
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (via === 'http') {
    const auth = authorization();
    // The same rule as the router's: bytes for binary types (entered as base64, checked above), else the text as typed.
    const bytes = payloadKind(contentType) === 'binary' ? base64ToBytes(payload) : undefined;
    const body: BodyInit | undefined = payload === '' ? undefined : bytes ? new Blob([bytes as Uint8Array<ArrayBuffer>]) : payload;
    try {
      const res = await fetch(`${apiBase}${messagePath(thingId, featureId, direction, subject)}?timeout=${timeoutSeconds}`, {
        method: 'POST',
        headers: { 'content-type': contentType, ...(auth ? { authorization: auth } : {}) },
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      const headers = Object.fromEntries(res.headers.entries());
      let shown = text;
      try {
        if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') shown = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not JSON after all: shown as text
      }
      showResult('HTTP', res.status, headers, el('pre', shown === '' ? '(no body)' : shown, 'payload'), elapsed());
    } catch (e) {
      showResult('HTTP', 'failed', {}, el('p', (e as Error).message), elapsed());
    }
    return;
  }
  const correlationId = crypto.randomUUID();
  const envelope: Envelope = {
    ...messageEnvelopeAddress(thingId, featureId, direction, subject),
    headers: {
      'correlation-id': correlationId,
      'content-type': contentType,
      timeout: `${timeoutSeconds}s`,
      'response-required': timeoutSeconds > 0,
    },
    ...(parsed.value !== undefined ? { value: parsed.value } : {}),
  };
  try {
    const response = await session.send(envelope, timeoutSeconds > 0 ? timeoutSeconds * 1000 + 2000 : undefined);
    if (timeoutSeconds === 0) showResult('WebSocket', 'sent', envelope.headers ?? {}, el('p', 'Sent without waiting for a response.'), elapsed());
    else if (!response) showResult('WebSocket', 'no response', {}, el('p', 'Nothing came back in time.'), elapsed());
    else showResult('WebSocket', response.status ?? '?', response.headers ?? {}, payloadNode(response, summarize(response).contentType), elapsed());
  } catch (e) {
    showResult('WebSocket', 'failed', {}, el('p', (e as Error).message), elapsed());
  }
}

// ---- connection targets -----------------------------------------------------------------------

async function loadTargets(): Promise<void> {
  const box = $('targets');
  const auth = authorization();
  let res: Response;
  try {
    res = await fetch(`${apiBase}/api/2/connections`, auth ? { headers: { authorization: auth } } : {});
  } catch (e) {
    box.replaceChildren(el('p', `The router cannot be reached: ${(e as Error).message}`));
    return;
  }
  if (!res.ok) {
    box.replaceChildren(el('p', res.status === 401 ? 'Only the devops identity may see connection targets.' : `Could not load them (${res.status}).`));
    return;
  }
  const connections = (await res.json()) as { id: string; name?: string; connectionStatus: string; uri: string; targets?: Record<string, unknown>[] }[];
  const table = el('table');
  const head = el('tr');
  for (const h of ['id', 'status', 'uri', 'targets']) head.append(el('th', h));
  table.append(head);
  for (const c of connections) {
    const row = el('tr');
    const targets = (c.targets ?? []).map((t) => `${String(t.address)} ← ${JSON.stringify(t.topics)} as ${JSON.stringify(t.authorizationContext)}`).join('\n');
    row.append(el('td', c.name ? `${c.id} (${c.name})` : c.id, 'mono'), el('td', c.connectionStatus), el('td', c.uri, 'mono'), el('td', targets, 'mono'));
    table.append(row);
  }
  box.replaceChildren(connections.length === 0 ? el('p', 'No connection targets.') : table);
}

// ---- sign-in ----------------------------------------------------------------------------------

function signIn(next: Credentials): void {
  let sameSubject = false;
  if (next.kind === 'token') {
    const info = tokenInfo(next.token);
    if (!info) {
      showError('That is not a JWT (three base64url parts).');
      return;
    }
    if (info.expiresAt !== undefined && info.expiresAt * 1000 < Date.now()) {
      showError(`The token expired at ${new Date(info.expiresAt * 1000).toLocaleString()}.`);
      return;
    }
    const previous = credentials?.kind === 'token' ? tokenInfo(credentials.token) : undefined;
    sameSubject = previous !== undefined && previous.subject === info.subject && previous.issuer === info.issuer;
    $('identity').textContent = `${info.subject ?? '(no sub)'}${info.issuer ? ` from ${info.issuer}` : ''}`;
    $('expiry').textContent = info.expiresAt !== undefined ? `until ${new Date(info.expiresAt * 1000).toLocaleString()}` : '';
  } else {
    $('identity').textContent = `${next.user} (Basic)`;
    $('expiry').textContent = '';
  }
  showError(undefined);
  credentials = next;
  session.signIn(next, sameSubject);
}

const session = new Session(wsUrl, {
  onState: showState,
  onEnvelope: (envelope) => {
    try {
      const s = summarize(envelope);
      // An error without a correlation-id answers the page's own control frame (a bad filter, a refused JWT-TOKEN, an expired token).
      if (s.error && s.correlationId === undefined) {
        const error = envelope.value as { message?: string; description?: string } | undefined;
        showError(`${error?.message ?? 'Error'} ${error?.description ?? ''}`.trim());
      }
      receive(envelope);
    } catch (e) {
      notice(`A message could not be shown: ${(e as Error).message}`);
    }
  },
  onNotice: (text) => notice(text),
  onRefused: () => void explainRefusal(),
  onExpired: () => showError('The token has expired: paste a new one to sign in again.'),
});

function wire(): void {
  $('signin-token').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn({ kind: 'token', token: $<HTMLTextAreaElement>('token').value.trim() });
  });
  $('signin-basic').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn({ kind: 'basic', user: value('basic-user'), password: value('basic-password') });
  });
  $('signout').addEventListener('click', () => {
    credentials = undefined;
    $('identity').textContent = 'nobody';
    $('expiry').textContent = '';
    session.signOut();
  });
  $('subscribe').addEventListener('submit', (e) => {
    e.preventDefault();
    session.setSubscription(value('namespaces'), value('rql'));
  });
  $('send').addEventListener('submit', (e) => {
    e.preventDefault();
    void sendMessage();
  });
  $('answer').addEventListener('submit', (e) => {
    e.preventDefault();
    void sendAnswer();
  });
  $('answer-cancel').addEventListener('click', () => {
    answering = undefined;
    $('answer-panel').hidden = true;
  });
  $('message-filter').addEventListener('input', render);
  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').setAttribute('aria-pressed', String(paused));
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    if (!paused) {
      for (const entry of [...held.all()].reverse()) entries.add(entry);
      held.clear();
    }
    render();
  });
  $('clear').addEventListener('click', () => {
    entries.clear();
    held.clear();
    render();
  });
  $('targets-load').addEventListener('click', () => void loadTargets());

  // ?access_token=… signs in at once; the token leaves the address bar (and the history) right away.
  const params = new URLSearchParams(location.search);
  const token = params.get('access_token');
  if (token) {
    params.delete('access_token');
    const rest = params.toString();
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
    // Not copied into the token field: it would show on screen (screenshots, screen sharing).
    signIn({ kind: 'token', token });
  }
  render();
}

wire();
