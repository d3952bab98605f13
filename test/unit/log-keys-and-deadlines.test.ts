/**
 * The request keys a log line carries, the DEBUG payload cap, and the deadline retries work to: the pieces of
 * observability/ and runtime/ that hold a rule of their own.
 */
import { appendRequestKeys, logger, payloadForDebug } from '../../lambdas/observability/logger';
import { DEADLINE_MARGIN_MS, deadline, withDeadline, withDeadlineAt } from '../../lambdas/runtime/deadline';
import { consumeLocally } from '../../lambdas/runtime/local-consumers';
import { logged } from '../support/logs';

describe('request keys on log lines', () => {
  const level = logger.getLevelName();
  beforeEach(() => logger.setLogLevel('INFO'));
  afterEach(() => {
    logger.resetKeys();
    logger.setLogLevel(level);
  });

  it('a key given as undefined keeps the value appended earlier in the request', () => {
    const [line] = logged(() => {
      appendRequestKeys({ connectionId: 'c-1', route: '$default' });
      appendRequestKeys({ connectionId: undefined, thingId: 'ns:t' });
      logger.info('routed');
    });
    expect(line).toMatchObject({ message: 'routed', connectionId: 'c-1', route: '$default', thingId: 'ns:t' });
  });
});

describe('payloadForDebug', () => {
  const level = logger.getLevelName();
  afterEach(() => logger.setLogLevel(level));

  it('computes nothing unless DEBUG or TRACE is on', () => {
    logger.setLogLevel('INFO');
    expect(payloadForDebug('secret-ish payload')).toBeUndefined();
    logger.setLogLevel('TRACE');
    expect(payloadForDebug('x')).toBe('x');
  });

  it('strings as they are, other values as JSON, undefined as empty', () => {
    logger.setLogLevel('DEBUG');
    expect(payloadForDebug('on')).toBe('on');
    expect(payloadForDebug({ on: true })).toBe('{"on":true}');
    expect(payloadForDebug(undefined)).toBe('');
  });

  it('keeps 2,048 characters whole and cuts anything longer, saying how long it was', () => {
    logger.setLogLevel('DEBUG');
    expect(payloadForDebug('a'.repeat(2048))).toBe('a'.repeat(2048));
    expect(payloadForDebug(`${'a'.repeat(2048)}bc`)).toBe(`${'a'.repeat(2048)}… (2050 chars)`);
  });
});

describe('deadlines', () => {
  const remaining = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

  it('outside an invocation: ten seconds from now', () => {
    const before = Date.now();
    const at = deadline();
    expect(at).toBeGreaterThanOrEqual(before + 10_000);
    expect(at).toBeLessThanOrEqual(Date.now() + 10_000);
  });

  it("an invocation's deadline is its remaining time less the margin", async () => {
    const before = Date.now();
    const at = await withDeadline(remaining(5_000), async () => deadline());
    expect(at).toBeGreaterThanOrEqual(before + 5_000 - DEADLINE_MARGIN_MS);
    expect(at).toBeLessThanOrEqual(Date.now() + 5_000 - DEADLINE_MARGIN_MS);
  });

  it('a narrower deadline never extends the invocation', async () => {
    const later = Date.now() + 60_000;
    const sooner = Date.now() + 1_000;
    await withDeadline(remaining(5_000), async () => {
      const invocation = deadline();
      expect(await withDeadlineAt(later, async () => deadline())).toBe(invocation);
      expect(await withDeadlineAt(sooner, async () => deadline())).toBe(sooner);
    });
  });
});

describe('local queues', () => {
  it('without a registered consumer, a queue message fails loudly instead of vanishing', async () => {
    await expect(consumeLocally('fanout', { Records: [] })).rejects.toThrow(
      "No queue is configured for 'fanout' and no local consumer is registered (the local runtime registers them).",
    );
  });
});
