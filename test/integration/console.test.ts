/**
 * The live console in a real browser: Debian's Chromium (no browser download), driven by
 * playwright-core, against the local runtime over DynamoDB Local.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { LocalGateway } from '../../local/gateway';
import { devToken } from '../../local/dev-auth';
import { http, startTestGateway } from '../support/harness';
import { autoRespond, type World, worldOn } from '../support/world';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the live console in Chromium', () => {
  let gateway: LocalGateway;
  let browser: Browser;
  const world = worldOn(() => gateway);
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH.`);
    [gateway, browser] = await Promise.all([startTestGateway(), chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })]);
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });
  afterEach(async () => {
    await page.close();
  });

  async function openSignedIn(w: World): Promise<void> {
    const token = w.ownerAuth.slice('Bearer '.length);
    await page.goto(`${gateway.httpUrl}/?access_token=${token}`);
    await page.locator('#connection-state[data-state="subscribed"]').waitFor();
  }

  it('signs in from ?access_token=, takes the token out of the address bar, shows the subject and its expiry', async () => {
    const w = await world();
    await openSignedIn(w);
    expect(page.url()).toBe(`${gateway.httpUrl}/`);
    expect(await page.locator('#identity').textContent()).toContain(w.owner);
    expect(await page.locator('#expiry').textContent()).toMatch(/until/);
    expect(await page.locator('#connection-state').textContent()).toBe('Connected and subscribed');
  });

  it('shows a message sent over HTTP with its payload, headers and correlation-id', async () => {
    const w = await world();
    await openSignedIn(w);
    const res = await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/smokeDetected?timeout=0`, {
      auth: w.ownerAuth,
      body: JSON.stringify({ room: 'kitchen', level: 7 }),
      headers: { 'content-type': 'application/json', 'correlation-id': 'from-http-1' },
    });
    expect(res.status).toBe(202);
    const entry = page.locator('#messages li[data-subject="smokeDetected"]');
    await entry.waitFor();
    expect(await entry.locator('.thing').textContent()).toBe(w.thingId);
    expect(await entry.locator('.direction').textContent()).toBe('inbox');
    expect(await entry.locator('.correlation').textContent()).toBe('correlation-id from-http-1');
    expect(JSON.parse((await entry.locator('pre.payload').textContent())!)).toEqual({ room: 'kitchen', level: 7 });
    // Pretty-printed, not one line.
    expect(await entry.locator('pre.payload').textContent()).toContain('\n  "room": "kitchen"');
  });

  it('sends a message from the page to a WebSocket device and shows its answer with the round-trip time', async () => {
    const w = await world({ DEVICE: { 'message:/': { grant: ['READ'] } } });
    const device = await (await w.user('DEVICE')).ws();
    try {
      await device.subscribe();
      autoRespond(device, 200, (m) => ({ echo: m.value, by: 'device' }));
      await openSignedIn(w);
      await page.fill('#send-thing', w.thingId);
      await page.fill('#send-subject', 'turnOff');
      await page.fill('#send-payload', '{"now": true}');
      await page.fill('#send-timeout', '5');
      await page.click('#send button[type="submit"]');
      await page.locator('#send-result[data-status="200"]').waitFor();
      expect(JSON.parse((await page.locator('#send-result pre.payload').textContent())!)).toEqual({ echo: { now: true }, by: 'device' });
      expect(await page.locator('#send-result .rtt').textContent()).toMatch(/in \d+ ms/);
    } finally {
      await device.close();
    }
  });

  it('sends over HTTP from the page and shows the HTTP response (a 408 when nobody answers)', async () => {
    const w = await world();
    await openSignedIn(w);
    await page.fill('#send-thing', w.thingId);
    await page.fill('#send-subject', 'nobodyListens');
    await page.fill('#send-timeout', '1');
    await page.check('input[name="send-via"][value="http"]');
    await page.click('#send button[type="submit"]');
    await page.locator('#send-result[data-status="408"]').waitFor();
    expect(await page.locator('#send-result pre.payload').textContent()).toContain('acknowledgement:request.timeout');
  });

  it('answers a received message from the page, and the HTTP caller gets that answer', async () => {
    const w = await world();
    await openSignedIn(w);
    const waiting = http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/askPage?timeout=10`, {
      auth: w.ownerAuth,
      body: JSON.stringify({ question: 'ready?' }),
      headers: { 'content-type': 'application/json' },
    });
    const entry = page.locator('#messages li[data-subject="askPage"]');
    await entry.locator('button.answer').click();
    await page.fill('#answer-status', '201');
    await page.fill('#answer-payload', '{"answer": "yes"}');
    await page.click('#answer button[type="submit"]');
    const res = await waiting;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.text)).toEqual({ answer: 'yes' });
  });

  it('shows a page-level error with the reason when the token is refused', async () => {
    const w = await world();
    const forged = `${w.ownerAuth.slice('Bearer '.length, -10)}AAAAAAAAAA`;
    await page.goto(`${gateway.httpUrl}/?access_token=${forged}`);
    const error = page.locator('#page-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/Sign-in failed \(401 gateway:authentication\.failed\)/);
    expect(await page.locator('#connection-state').getAttribute('data-state')).toBe('stopped');
  });

  it('signs in with the Basic dev user (local only) and subscribes', async () => {
    await page.goto(`${gateway.httpUrl}/`);
    await page.fill('#basic-user', 'ditto');
    await page.fill('#basic-password', 'ditto');
    await page.click('#signin-basic button[type="submit"]');
    await page.locator('#connection-state[data-state="subscribed"]').waitFor();
    expect(await page.locator('#identity').textContent()).toBe('ditto (Basic)');
  });

  it('filters the list, pauses and clears it', async () => {
    const w = await world();
    await openSignedIn(w);
    const send = (subject: string) =>
      http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/${subject}?timeout=0`, {
        auth: w.ownerAuth,
        body: '"x"',
        headers: { 'content-type': 'application/json' },
      });
    await send('alpha');
    await send('beta');
    await page.locator('#messages li[data-subject="beta"]').waitFor();
    await page.fill('#message-filter', 'alpha');
    expect(await page.locator('#messages li').evaluateAll((items) => items.map((i) => i.getAttribute('data-subject')))).toEqual(['alpha']);
    await page.fill('#message-filter', '');
    await page.click('#pause');
    await send('whilePaused');
    await page.locator('#message-count', { hasText: '1 waiting' }).waitFor();
    expect(await page.locator('#messages li[data-subject="whilePaused"]').count()).toBe(0);
    await page.click('#pause');
    await page.locator('#messages li[data-subject="whilePaused"]').waitFor();
    // Newest first.
    expect(await page.locator('#messages li').evaluateAll((items) => items.map((i) => i.getAttribute('data-subject')))).toEqual([
      'whilePaused',
      'beta',
      'alpha',
    ]);
    await page.click('#clear');
    expect(await page.locator('#messages li').count()).toBe(0);
  });

  it('lists connection targets read-only for the devops identity', async () => {
    await page.goto(`${gateway.httpUrl}/`);
    await page.fill('#basic-user', 'devops');
    await page.fill('#basic-password', 'foobar');
    await page.click('#signin-basic button[type="submit"]');
    await page.click('#targets-load');
    await page.locator('#targets p, #targets table').first().waitFor();
    expect(await page.locator('#targets').textContent()).not.toContain('Only the devops identity');
  });

  it('shows the page with messages (the README screenshot)', async () => {
    const w = await world({ DEVICE: { 'message:/': { grant: ['READ'] } } });
    await openSignedIn(w);
    for (const [subject, body, type] of [
      ['smokeDetected', JSON.stringify({ room: 'kitchen', level: 7 }), 'application/json'],
      ['firmwareChunk', Buffer.from('\x00\x01binary\xff', 'latin1').toString('base64'), 'application/octet-stream'],
      ['status', 'all good', 'text/plain'],
    ] as const) {
      await http(gateway, 'POST', `/api/2/things/${w.thingId}/outbox/messages/${subject}?timeout=0`, {
        auth: w.ownerAuth,
        body: type === 'application/octet-stream' ? Buffer.from(body, 'base64') : body,
        headers: { 'content-type': type },
      });
    }
    await page.locator('#messages li[data-subject="status"]').waitFor();
    const bytes = page.locator('#messages li[data-subject="firmwareChunk"] pre').nth(1);
    expect(await bytes.textContent()).toBe('hex: 00 01 62 69 6e 61 72 79 ff');
    const dir = process.env.CONSOLE_SCREENSHOT_DIR;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'console.png'), fullPage: true });
    }
  });

  it('signs in with a token after Basic and sign-out: the token, not the remembered Basic credentials, is the identity', async () => {
    const w = await world();
    await page.goto(`${gateway.httpUrl}/`);
    await page.fill('#basic-user', 'ditto');
    await page.fill('#basic-password', 'ditto');
    await page.click('#signin-basic button[type="submit"]');
    await page.locator('#connection-state[data-state="subscribed"]').waitFor();
    await page.click('#signout');
    await page.fill('#token', w.ownerAuth.slice('Bearer '.length));
    await page.click('#signin-token button[type="submit"]');
    await page.locator('#connection-state[data-state="subscribed"]').waitFor();
    // Only the owner may READ this thing's messages: the page sees it only if it is connected as the owner.
    await http(gateway, 'POST', `/api/2/things/${w.thingId}/inbox/messages/ownersOnly?timeout=0`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    await page.locator('#messages li[data-subject="ownersOnly"]').waitFor();
  });

  it("shows the router's refusal of a bad filter as a page error", async () => {
    const w = await world();
    await openSignedIn(w);
    await page.fill('#rql', 'like(subject');
    await page.click('#subscribe button[type="submit"]');
    await page.locator('#page-error').waitFor({ state: 'visible' });
    expect(await page.locator('#page-error').textContent()).toMatch(/RQL/);
  });

  it('shows a message to a feature whose id has a percent sign as it is', async () => {
    const w = await world();
    await openSignedIn(w);
    await http(gateway, 'POST', `/api/2/things/${w.thingId}/features/50%25/inbox/messages/odd?timeout=0`, {
      auth: w.ownerAuth,
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    await page.locator('#messages li[data-subject="odd"]').waitFor();
    expect(await page.locator('#messages li[data-subject="odd"]').textContent()).toContain('feature 50%');
  });

  it('stops reconnecting when the token has expired, and says so', async () => {
    const w = await world();
    const token = await devToken(w.owner, { expiresIn: '2s' });
    await page.goto(`${gateway.httpUrl}/?access_token=${token}`);
    await page.locator('#connection-state[data-state="subscribed"]').waitFor();
    // The router closes the connection when the token expires (its sweep or the next frame); the page does not retry with it.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 2500)));
    await page.fill('#rql', '');
    await page.click('#subscribe button[type="submit"]');
    await page.locator('#connection-state[data-state="stopped"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#page-error').textContent()).toMatch(/expired/);
  });

  it('works with a token of another subject pasted on the page', async () => {
    const w = await world({ READER: { 'message:/': { grant: ['READ'] } } });
    const reader = await w.user('READER');
    await page.goto(`${gateway.httpUrl}/`);
    await page.fill('#token', reader.auth.slice('Bearer '.length));
    await page.click('#signin-token button[type="submit"]');
    await page.locator('#connection-state[data-state="subscribed"]').waitFor();
    expect(await page.locator('#identity').textContent()).toContain(reader.subject.slice('local:'.length));
    // A refreshed token of the same subject goes over the open connection (JWT-TOKEN), no reconnect.
    await page.fill('#token', await devToken(reader.subject.slice('local:'.length)));
    await page.click('#signin-token button[type="submit"]');
    await page.locator('#notice:has-text("JWT-TOKEN")').waitFor();
    expect(await page.locator('#connection-state').getAttribute('data-state')).toBe('subscribed');
  });
});
