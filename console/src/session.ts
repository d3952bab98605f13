/**
 * The console's WebSocket session: connects to `/ws/2` with the signed-in credentials, subscribes
 * (START-SEND-MESSAGES with namespaces and filter), reconnects with backoff, refreshes a token in
 * place (JWT-TOKEN), and matches responses to the messages the page sent.
 */
import { backoffMs, type Envelope, isEnvelope, tokenInfo } from './format';

export type Credentials = { readonly kind: 'token'; readonly token: string } | { readonly kind: 'basic'; readonly user: string; readonly password: string };

export type SessionState =
  | { readonly kind: 'signed-out' }
  | { readonly kind: 'connecting' }
  | { readonly kind: 'subscribed' }
  | { readonly kind: 'connected' }
  | { readonly kind: 'waiting'; readonly retryAt: number; readonly reason: string }
  /** Not reconnecting until the user signs in again (refused or expired credentials). */
  | { readonly kind: 'stopped'; readonly reason: string };

export interface SessionEvents {
  onState(state: SessionState): void;
  /** Every envelope that is not the answer to one of the page's own sends. */
  onEnvelope(envelope: Envelope, raw: string): void;
  /** A control-frame reply or a refusal worth telling the user about. */
  onNotice(text: string): void;
  /** The handshake was refused before the connection opened (bad credentials, typically). */
  onRefused(): void;
  /** The token has expired: no reconnect is tried until a new one is given. */
  onExpired(): void;
}

interface Pending {
  resolve(envelope: Envelope | undefined): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class Session {
  private socket: WebSocket | undefined;
  private credentials: Credentials | undefined;
  private subscription = '';
  private attempt = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly wsUrl: string,
    private readonly events: SessionEvents,
  ) {}

  /** Sign in (or switch identity): a new token for the same subject is sent as JWT-TOKEN on the open connection. */
  signIn(credentials: Credentials, sameSubject: boolean): void {
    const previous = this.credentials;
    this.credentials = credentials;
    if (sameSubject && previous?.kind === 'token' && credentials.kind === 'token' && this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(`JWT-TOKEN?jwtToken=${credentials.token}`);
      this.events.onNotice('Token refreshed on the open connection (JWT-TOKEN).');
      return;
    }
    this.reconnectNow();
  }

  /** Stops reconnecting (credentials that cannot work) until the next sign-in. */
  halt(reason: string): void {
    this.close();
    this.events.onState({ kind: 'stopped', reason });
  }

  signOut(): void {
    this.credentials = undefined;
    this.close();
    this.events.onState({ kind: 'signed-out' });
  }

  /** `START-SEND-MESSAGES?namespaces=…&filter=…`; applied at once when connected, and after every reconnect. */
  setSubscription(namespaces: string, filter: string): void {
    const params: string[] = [];
    if (namespaces.trim() !== '') params.push(`namespaces=${encodeURIComponent(namespaces.replace(/\s+/g, ''))}`);
    if (filter.trim() !== '') params.push(`filter=${encodeURIComponent(filter.trim())}`);
    this.subscription = params.length > 0 ? `?${params.join('&')}` : '';
    if (this.socket?.readyState === WebSocket.OPEN) this.subscribe(this.socket);
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Sends an envelope; with `awaitResponse`, resolves with the response or error of the same correlation-id. */
  send(envelope: Envelope, awaitResponseMs?: number): Promise<Envelope | undefined> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('Not connected.'));
    const correlationId = envelope.headers?.['correlation-id'];
    socket.send(JSON.stringify(envelope));
    if (awaitResponseMs === undefined || typeof correlationId !== 'string') return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        resolve(undefined);
      }, awaitResponseMs);
      this.pending.set(correlationId, { resolve, reject, timer });
    });
  }

  /** A closed connection ends every wait: its responses can no longer arrive. */
  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  private close(): void {
    this.failPending('The connection was closed before a response arrived.');
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
  }

  private reconnectNow(): void {
    this.close();
    this.attempt = 0;
    this.connect();
  }

  private url(): string {
    const c = this.credentials!;
    if (c.kind === 'token') return `${this.wsUrl}?access_token=${encodeURIComponent(c.token)}`;
    // Browsers send URL credentials as HTTP Basic when the handshake is challenged (the local gateway challenges).
    const url = new URL(this.wsUrl);
    url.username = encodeURIComponent(c.user);
    url.password = encodeURIComponent(c.password);
    return url.toString();
  }

  private connect(): void {
    if (!this.credentials) return;
    const expired = this.credentials.kind === 'token' ? tokenInfo(this.credentials.token)?.expiresAt : undefined;
    if (expired !== undefined && expired * 1000 < Date.now()) {
      this.halt('the token has expired');
      this.events.onExpired();
      return;
    }
    this.events.onState({ kind: 'connecting' });
    const socket = new WebSocket(this.url());
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.events.onState({ kind: 'connected' });
      this.subscribe(socket);
    };
    socket.onmessage = (event: MessageEvent) => this.receive(String(event.data));
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.failPending(`The connection closed (${event.code}) before a response arrived.`);
      if (!opened) this.events.onRefused();
      const delay = backoffMs(this.attempt++);
      const reason = opened ? `closed (${event.code}${event.reason ? `: ${event.reason}` : ''})` : 'could not connect';
      this.events.onState({ kind: 'waiting', retryAt: Date.now() + delay, reason });
      this.retry = setTimeout(() => this.connect(), delay);
    };
  }

  private subscribe(socket: WebSocket): void {
    socket.send(`START-SEND-MESSAGES${this.subscription}`);
  }

  private receive(text: string): void {
    if (!text.startsWith('{')) {
      if (text.startsWith('START-SEND-MESSAGES:ACK')) this.events.onState({ kind: 'subscribed' });
      else this.events.onNotice(text);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isEnvelope(parsed)) {
      this.events.onNotice(`A frame that is not a Ditto Protocol message: ${text.slice(0, 200)}`);
      return;
    }
    const envelope = parsed;
    const correlationId = envelope.headers?.['correlation-id'];
    const waiting = typeof correlationId === 'string' && envelope.status !== undefined ? this.pending.get(correlationId) : undefined;
    if (waiting && typeof correlationId === 'string') {
      clearTimeout(waiting.timer);
      this.pending.delete(correlationId);
      waiting.resolve(envelope);
      return;
    }
    this.events.onEnvelope(envelope, text);
  }
}
