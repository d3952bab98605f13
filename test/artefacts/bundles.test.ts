/**
 * What `cdk deploy` uploads, run: the stack is synthesized with its real esbuild bundling, and each
 * function's asset is loaded from the cloud assembly in a plain Node process with only the AWS SDK
 * on its module path (as the Lambda runtime provides it), then invoked on an AWS-shaped event
 * against DynamoDB Local. The artefacts, not the sources, are shown to work.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { App } from 'aws-cdk-lib';
import { TABLES, type TableKey } from '../../lambdas/store/schema';
import { MessagingStack } from '../../lib/messaging-stack';
import { devIssuerConfig, devToken } from '../../local/dev-auth';
import type { LocalGateway } from '../../local/gateway';
import { httpApiEvent, sqsEvent, stringifiedContext, wsConnectEvent, wsDisconnectEvent, wsMessageEvent } from '../fixtures/aws-events';
import { tempDir } from '../support/cdk-apps';
import { ddb, startTestGateway, tableName, uniqueName, uniqueNamespace } from '../support/harness';
import { sdkOnlyModules } from './sdk-only-modules';

const run = promisify(execFile);

interface Asset {
  readonly dir: string;
  readonly environment: Record<string, unknown>;
}

let gateway: LocalGateway;
let assets: Record<string, Asset>;
let nodePath: string;

beforeAll(async () => {
  gateway = await startTestGateway();
  const outdir = tempDir();
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new MessagingStack(app, 'ArtefactStack', { issuers: [devIssuerConfig(gateway.httpUrl)], devBasicUsers: 'ditto:ditto' });
  const assembly = app.synth();
  const template = JSON.parse(readFileSync(join(outdir, assembly.getStackByName(stack.stackName).templateFile), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string>; Properties: { Environment?: { Variables: Record<string, unknown> } } }>;
  };
  assets = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    // CDK's own BucketDeployment provider (the console files) is not one of our handlers.
    if (resource.Type !== 'AWS::Lambda::Function' || !resource.Metadata?.['aws:asset:path'] || id.startsWith('CustomCDKBucketDeployment')) continue;
    const name = /^([A-Za-z]+?)(Function|[A-F0-9]{8})/.exec(id)![1]!;
    assets[name] = { dir: join(outdir, resource.Metadata['aws:asset:path']), environment: resource.Properties.Environment?.Variables ?? {} };
  }
  nodePath = sdkOnlyModules();
}, 120_000);
afterAll(async () => gateway.stop());

/** Invokes one asset in its own Node process; returns what the handler returned. */
async function invoke(fn: string, event: unknown, extraEnv: Record<string, string> = {}): Promise<any> {
  const asset = assets[fn];
  if (!asset) throw new Error(`no asset for ${fn}: ${Object.keys(assets).join(', ')}`);
  // Plain values from the template; table names and endpoints point at the local stand-ins.
  const fromTemplate = Object.fromEntries(Object.entries(asset.environment).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const tables = Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((k) => [TABLES[k].envName, tableName(k)]));
  const env = {
    PATH: process.env.PATH!,
    NODE_PATH: nodePath,
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...fromTemplate,
    ...tables,
    DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT!,
    MANAGEMENT_ENDPOINT: gateway.httpUrl,
    ...extraEnv,
  };
  const { stdout } = await run(process.execPath, [join(__dirname, 'run-asset.js'), asset.dir, JSON.stringify(event)], { env, cwd: asset.dir, timeout: 20_000 });
  const error = /@@ERROR@@(.*)/.exec(stdout);
  if (error) throw new Error(`${fn} threw: ${JSON.parse(error[1]!)}`);
  return JSON.parse(/@@RESULT@@(.*)/.exec(stdout)![1]!);
}

describe('the synthesized Lambda bundles', () => {
  it('cannot load what the runtime does not provide (the module path holds only the AWS SDK)', async () => {
    await expect(run(process.execPath, ['-e', "require('jose')"], { env: { PATH: process.env.PATH!, NODE_PATH: nodePath }, cwd: tmpdir() })).rejects.toThrow(
      /Cannot find module 'jose'/,
    );
  });

  it('has one asset per function', () => {
    expect(Object.keys(assets).sort()).toEqual([
      'FanOut',
      'HttpApiHandler',
      'TargetPush',
      'TokenSweep',
      'WsAuthorizer',
      'WsConnect',
      'WsDefault',
      'WsDisconnect',
      'WsTimeout',
    ]);
  });

  it('ws-authorizer allows a valid token and puts the subjects in the context', async () => {
    const token = await devToken('artefact');
    const result = await invoke('WsAuthorizer', {
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:eu-central-1:123456789012:xyz789/ws/$connect',
      ...wsConnectEvent('c1=', {}, { Authorization: `Bearer ${token}` }),
    });
    expect(result).toMatchObject({
      principalId: 'local:artefact',
      policyDocument: { Statement: [{ Effect: 'Allow' }] },
      context: { subjects: '["local:artefact"]' },
    });
  });

  it('ws-connect, ws-default (START-SEND-MESSAGES) and ws-disconnect (without authorizer context) keep the tables right', async () => {
    const name = uniqueName();
    const connectionId = `art${name.slice(-8)}=`;
    const authorizer = stringifiedContext({
      subjects: JSON.stringify([`local:${name}`]),
      expiresAt: Math.floor(Date.now() / 1000) + 600,
      principalId: `local:${name}`,
    });
    expect(await invoke('WsConnect', wsConnectEvent(connectionId, authorizer))).toEqual({ statusCode: 200 });
    expect(await invoke('WsDefault', wsMessageEvent(connectionId, 'START-SEND-MESSAGES', authorizer))).toEqual({
      statusCode: 200,
      body: 'START-SEND-MESSAGES:ACK',
    });
    expect(await invoke('WsDisconnect', wsDisconnectEvent(connectionId))).toEqual({ statusCode: 200 });
    expect((await ddb().send(new GetCommand({ TableName: tableName('connections'), Key: { connectionId } }))).Item).toBeUndefined();
  });

  it('http-api creates a thing and sends a message (Basic and Bearer)', async () => {
    const thingId = `${uniqueNamespace()}:t`;
    const put = await invoke(
      'HttpApiHandler',
      httpApiEvent({
        method: 'PUT',
        url: `/api/2/things/${thingId}`,
        headers: { authorization: `Basic ${Buffer.from('ditto:ditto').toString('base64')}`, 'content-type': 'application/json' },
        body: '{}',
      }),
    );
    expect(put.statusCode).toBe(201);
    const send = await invoke(
      'HttpApiHandler',
      httpApiEvent({
        method: 'POST',
        url: `/api/2/things/${thingId}/inbox/messages/x?timeout=0`,
        headers: { authorization: `Basic ${Buffer.from('ditto:ditto').toString('base64')}`, 'content-type': 'text/plain' },
        body: 'hi',
      }),
    );
    expect(send.statusCode).toBe(202);
    const stranger = await invoke(
      'HttpApiHandler',
      httpApiEvent({ method: 'GET', url: `/api/2/things/${thingId}`, headers: { authorization: `Bearer ${await devToken(uniqueName())}` } }),
    );
    expect(stranger.statusCode).toBe(404);
  });

  it('ws-default loads the SQS client in the bundle and schedules the timeout check of a WebSocket request', async () => {
    // A stand-in for SQS's JSON protocol (SendMessage), enough for the SDK, which checks the body's MD5.
    const received: Record<string, any>[] = [];
    const sqs = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const input = JSON.parse(body) as Record<string, any>;
        received.push({ target: req.headers['x-amz-target'], ...input });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            MessageId: 'm-1',
            MD5OfMessageBody: createHash('md5')
              .update(input.MessageBody as string)
              .digest('hex'),
          }),
        );
      });
    });
    await new Promise<void>((r) => sqs.listen(0, '127.0.0.1', () => r()));
    const queueUrl = `http://127.0.0.1:${(sqs.address() as AddressInfo).port}/123456789012/TimeoutQueue`;
    try {
      const thingId = `${uniqueNamespace()}:t`;
      const basic = `Basic ${Buffer.from('ditto:ditto').toString('base64')}`;
      expect(
        (
          await invoke(
            'HttpApiHandler',
            httpApiEvent({ method: 'PUT', url: `/api/2/things/${thingId}`, headers: { authorization: basic, 'content-type': 'application/json' }, body: '{}' }),
          )
        ).statusCode,
      ).toBe(201);
      const authorizer = stringifiedContext({ subjects: JSON.stringify(['nginx:ditto']), principalId: 'nginx:ditto' });
      const [ns, name] = thingId.split(':');
      const envelope = {
        topic: `${ns}/${name}/things/live/messages/ask`,
        path: '/inbox/messages/ask',
        headers: { 'correlation-id': 'art-1', timeout: '3s' },
        value: 1,
      };
      const out = await invoke('WsDefault', wsMessageEvent('artefact-issuer=', JSON.stringify(envelope), authorizer), {
        TIMEOUT_QUEUE_URL: queueUrl,
        AWS_ENDPOINT_URL_SQS: queueUrl.replace(/\/123456789012.*/, ''),
      });
      expect(out).toEqual({ statusCode: 200 });
      expect(received).toEqual([expect.objectContaining({ target: 'AmazonSQS.SendMessage', QueueUrl: queueUrl, DelaySeconds: 3 })]);
      expect(JSON.parse(received[0]!.MessageBody as string)).toMatchObject({
        key: expect.stringContaining(thingId),
        owner: expect.any(String),
        timeoutMs: 3000,
      });
    } finally {
      sqs.close();
    }
  });

  it('fanout and ws-timeout consume SQS events; token-sweep runs', async () => {
    const gone = JSON.stringify({ data: '{}', recipients: [{ connectionId: 'gone-connection=', subjects: ['local:nobody'] }] });
    expect(await invoke('FanOut', sqsEvent([gone]))).toEqual({ batchItemFailures: [] });
    expect(await invoke('WsTimeout', sqsEvent([JSON.stringify({ key: 'ns:t\nnothing', owner: 'o', timeoutMs: 1 })]))).toEqual({ batchItemFailures: [] });
    expect(await invoke('TokenSweep', { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} })).toMatchObject({
      checked: expect.any(Number),
      closed: expect.any(Number),
    });
  });
});
