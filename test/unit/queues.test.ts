/**
 * What the gateway hands to SQS (fan-out batches, target pushes, timeout checks), against a stand-in for SQS's JSON
 * protocol that checks nothing but answers as SQS does (the SDK checks the MD5s); and, without a queue, the in-process
 * consumption failing loudly when no consumer is registered (no local gateway runs in this file).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resetConfig } from '../../lambdas/config';
import type { FanOutJob } from '../../lambdas/gateway/fanout';
import { enqueueFanOut } from '../../lambdas/gateway/fanout-queue';
import { enqueueTargetPush } from '../../lambdas/gateway/target-queue';
import { scheduleTimeout } from '../../lambdas/gateway/timeouts';
import { loggedUntil } from '../support/logs';

interface Received {
  readonly target: string;
  readonly input: Record<string, any>;
}

const received: Received[] = [];
let connections = 0;
/** How the stand-in answers: entry ids to report as failed, or a refusal of the whole request. */
let failIds: string[] = [];
let refuse = false;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const sqs = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const input = JSON.parse(body) as Record<string, any>;
    const target = String(req.headers['x-amz-target']).replace('AmazonSQS.', '');
    received.push({ target, input });
    if (refuse) {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    if (target === 'SendMessage') {
      res.end(JSON.stringify({ MessageId: 'm-1', MD5OfMessageBody: md5(input.MessageBody as string) }));
      return;
    }
    const entries = input.Entries as { Id: string; MessageBody: string }[];
    res.end(
      JSON.stringify({
        Successful: entries.filter((e) => !failIds.includes(e.Id)).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: md5(e.MessageBody) })),
        Failed: entries
          .filter((e) => failIds.includes(e.Id))
          .map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'Try again later.' })),
      }),
    );
  });
});
sqs.on('connection', () => connections++);

let queueBase = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => sqs.listen(0, '127.0.0.1', resolve));
  queueBase = `http://127.0.0.1:${(sqs.address() as AddressInfo).port}`;
  process.env.AWS_ENDPOINT_URL_SQS = queueBase;
  process.env.AWS_REGION ??= 'local';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
});
afterAll(() => {
  sqs.closeAllConnections();
  sqs.close();
  for (const name of ['AWS_ENDPOINT_URL_SQS', 'FANOUT_QUEUE_URL', 'TARGET_QUEUE_URL', 'TIMEOUT_QUEUE_URL']) delete process.env[name];
  resetConfig();
});

const FANOUT_QUEUE = '/123456789012/FanOutQueue';
const TARGET_QUEUE = '/123456789012/TargetQueue';
const TIMEOUT_QUEUE = '/123456789012/TimeoutQueue';

/** Queues configured (or not) for the next test. */
function queues(configured: boolean): void {
  received.length = 0;
  failIds = [];
  refuse = false;
  if (configured) {
    process.env.FANOUT_QUEUE_URL = queueBase + FANOUT_QUEUE;
    process.env.TARGET_QUEUE_URL = queueBase + TARGET_QUEUE;
    process.env.TIMEOUT_QUEUE_URL = queueBase + TIMEOUT_QUEUE;
  } else {
    for (const name of ['FANOUT_QUEUE_URL', 'TARGET_QUEUE_URL', 'TIMEOUT_QUEUE_URL']) delete process.env[name];
  }
  resetConfig();
}

/** A job whose SQS body is exactly `bytes` long. */
function jobOfSize(bytes: number): FanOutJob {
  const empty = JSON.stringify({ data: '', recipients: [] }).length;
  return { data: 'x'.repeat(bytes - empty), recipients: [] };
}
const smallJob = (i: number): FanOutJob => ({ data: `{"n":${i}}`, recipients: [{ connectionId: `c-${i}=`, subjects: ['local:s'] }] });

describe('fan-out batches on SQS', () => {
  beforeEach(() => queues(true));

  it('sends at most 10 entries per SendMessageBatch, every job once, in order', async () => {
    const jobs = Array.from({ length: 25 }, (_, i) => smallJob(i));
    await enqueueFanOut(jobs);
    expect(received.map((r) => ({ target: r.target, queue: r.input.QueueUrl, ids: r.input.Entries.map((e: { Id: string }) => e.Id) }))).toEqual([
      { target: 'SendMessageBatch', queue: queueBase + FANOUT_QUEUE, ids: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
      { target: 'SendMessageBatch', queue: queueBase + FANOUT_QUEUE, ids: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
      { target: 'SendMessageBatch', queue: queueBase + FANOUT_QUEUE, ids: ['0', '1', '2', '3', '4'] },
    ]);
    const bodies = received.flatMap((r) => r.input.Entries.map((e: { MessageBody: string }) => JSON.parse(e.MessageBody) as FanOutJob));
    expect(bodies).toEqual(jobs);
  });

  it('sends nothing for no jobs', async () => {
    await enqueueFanOut([]);
    expect(received).toEqual([]);
  });

  it('fills a batch up to exactly 256 KiB of bodies, and starts a new one a byte past it', async () => {
    await enqueueFanOut([jobOfSize(128 * 1024), jobOfSize(128 * 1024)]);
    expect(received.map((r) => r.input.Entries.map((e: { MessageBody: string }) => Buffer.byteLength(e.MessageBody)))).toEqual([[128 * 1024, 128 * 1024]]);
    received.length = 0;
    await enqueueFanOut([jobOfSize(128 * 1024), jobOfSize(128 * 1024 + 1), jobOfSize(1000)]);
    expect(received.map((r) => r.input.Entries.map((e: { MessageBody: string }) => Buffer.byteLength(e.MessageBody)))).toEqual([
      [128 * 1024],
      [128 * 1024 + 1, 1000],
    ]);
  });

  it('sends a job too large for any batch in one of its own, with no empty batch before it (SQS then answers for it)', async () => {
    await enqueueFanOut([jobOfSize(256 * 1024 + 1), smallJob(1)]);
    expect(received.map((r) => r.input.Entries.map((e: { MessageBody: string }) => Buffer.byteLength(e.MessageBody)))).toEqual([
      [256 * 1024 + 1],
      [Buffer.byteLength(JSON.stringify(smallJob(1)))],
    ]);
  });

  it('counts bodies after a full batch from zero again', async () => {
    // 10 small ones (a full batch), then two that fit together only if the first batch's bytes are forgotten.
    await enqueueFanOut([...Array.from({ length: 10 }, (_, i) => smallJob(i)), jobOfSize(128 * 1024), jobOfSize(128 * 1024 - 100)]);
    expect(received.map((r) => r.input.Entries.length)).toEqual([10, 2]);
  });

  it('fails, naming how many entries SQS did not take and why, when a batch is taken only in part', async () => {
    failIds = ['3', '7'];
    await expect(enqueueFanOut(Array.from({ length: 10 }, (_, i) => smallJob(i)))).rejects.toThrow('2 fan-out batches were not queued: Try again later.');
  });
});

describe('target pushes on SQS', () => {
  beforeEach(() => queues(true));

  it('sends one message naming each connection once, with the envelope embedded as JSON', async () => {
    await enqueueTargetPush('{"topic":"ns/t/things/live/messages/x"}', [
      { connectionId: 'conn-a' },
      { connectionId: 'conn-b' },
      { connectionId: 'conn-a' },
    ] as never);
    expect(received).toEqual([
      {
        target: 'SendMessage',
        input: expect.objectContaining({
          QueueUrl: queueBase + TARGET_QUEUE,
          MessageBody: '{"connections":["conn-a","conn-b"],"envelope":{"topic":"ns/t/things/live/messages/x"}}',
        }),
      },
    ]);
  });

  it('sends nothing when no connection has a target', async () => {
    await enqueueTargetPush('{}', []);
    expect(received).toEqual([]);
  });

  it('logs a push SQS refuses, with how many targets missed it, and does not fail the send', async () => {
    refuse = true;
    const lines = await loggedUntil(
      () => enqueueTargetPush('{}', [{ connectionId: 'conn-a' }, { connectionId: 'conn-b' }] as never),
      (l) => l.some((x) => x.message === 'pushes to connection targets could not be queued'),
    );
    expect(lines.find((l) => l.message === 'pushes to connection targets could not be queued')).toMatchObject({
      level: 'ERROR',
      targets: 2,
      error: expect.objectContaining({ message: 'The specified queue does not exist.' }),
    });
  });
});

describe('timeout checks on SQS', () => {
  beforeEach(() => queues(true));

  it('delays the check by the timeout in whole seconds, rounded up, at most 15 minutes', async () => {
    await scheduleTimeout({ key: 'k1', owner: 'o1', timeoutMs: 2001 });
    await scheduleTimeout({ key: 'k2', owner: 'o2', timeoutMs: 3000 });
    await scheduleTimeout({ key: 'k3', owner: 'o3', timeoutMs: 3_600_000 });
    expect(received.map((r) => ({ target: r.target, queue: r.input.QueueUrl, delay: r.input.DelaySeconds, body: JSON.parse(r.input.MessageBody) }))).toEqual([
      { target: 'SendMessage', queue: queueBase + TIMEOUT_QUEUE, delay: 3, body: { key: 'k1', owner: 'o1', timeoutMs: 2001 } },
      { target: 'SendMessage', queue: queueBase + TIMEOUT_QUEUE, delay: 3, body: { key: 'k2', owner: 'o2', timeoutMs: 3000 } },
      { target: 'SendMessage', queue: queueBase + TIMEOUT_QUEUE, delay: 900, body: { key: 'k3', owner: 'o3', timeoutMs: 3_600_000 } },
    ]);
  });

  it('sends over one kept-alive connection, not one per message (one SQS client per container)', async () => {
    const before = connections;
    for (let i = 0; i < 3; i++) await scheduleTimeout({ key: `k${i}`, owner: 'o', timeoutMs: 1000 });
    expect(received).toHaveLength(3);
    expect(connections - before).toBeLessThanOrEqual(1);
  });
});

describe('without queues and without a local consumer', () => {
  beforeEach(() => queues(false));

  it('logs a fan-out batch that could not be consumed', async () => {
    const lines = await loggedUntil(
      () => enqueueFanOut([smallJob(1)]),
      (l) => l.some((x) => x.message === 'local fan-out batch failed'),
    );
    expect(lines.find((l) => l.message === 'local fan-out batch failed')).toMatchObject({
      level: 'ERROR',
      error: expect.objectContaining({ message: expect.stringContaining("No queue is configured for 'fanout'") }),
    });
    expect(received).toEqual([]);
  });

  it('logs a target push that could not be consumed', async () => {
    const lines = await loggedUntil(
      () => enqueueTargetPush('{}', [{ connectionId: 'conn-a' }] as never),
      (l) => l.some((x) => x.message === 'local target push failed'),
    );
    expect(lines.find((l) => l.message === 'local target push failed')).toMatchObject({
      level: 'ERROR',
      error: expect.objectContaining({ message: expect.stringContaining("No queue is configured for 'target-push'") }),
    });
    expect(received).toEqual([]);
  });

  it('logs a timeout check that could not be consumed, when its timer fires', async () => {
    const lines = await loggedUntil(
      () => scheduleTimeout({ key: 'k', owner: 'o', timeoutMs: 1 }),
      (l) => l.some((x) => x.message === 'local timeout check failed'),
    );
    expect(lines.find((l) => l.message === 'local timeout check failed')).toMatchObject({
      level: 'ERROR',
      error: expect.objectContaining({ message: expect.stringContaining("No queue is configured for 'ws-timeout'") }),
    });
    expect(received).toEqual([]);
  });
});
