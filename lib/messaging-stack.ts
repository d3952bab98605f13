import { Annotations, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { IssuerConfig } from '../lambdas/config';
import { TABLES, type TableKey } from '../lambdas/store/schema';
import { LiveWebSocketApi, type ThrottleProps, ThingsHttpApi } from './apis';
import { HandlerFunction } from './functions';
import { MessagingTables } from './tables';

export interface MessagingStackProps extends StackProps {
  /** OpenID Connect issuers whose JWTs are accepted. */
  readonly issuers: readonly IssuerConfig[];
  /** `user:password[:subject]` list for HTTP Basic; never enable in production. @default none */
  readonly devBasicUsers?: string;
  /** Largest message envelope in bytes (API Gateway's WebSocket frame limit is 128 KiB). @default 131072 */
  readonly maxMessageBytes?: number;
  /** HTTP wait limit in seconds (API Gateway HTTP integrations end at 30 s). @default 29 */
  readonly maxHttpTimeoutSeconds?: number;
  /** Policy/thing cache window per Lambda container in ms. @default 2000 */
  readonly cacheTtlMs?: number;
  /** @default 512 */
  readonly lambdaMemoryMb?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** @default { rateLimit: 500, burstLimit: 1000 } */
  readonly throttle?: ThrottleProps;
  /** WebSocket stage name. @default 'ws' */
  readonly webSocketStageName?: string;
}

/** The whole router: tables, the two APIs, the Lambda handlers, the timeout queue. */
export class MessagingStack extends Stack {
  public readonly tables: MessagingTables;
  public readonly httpApi: ThingsHttpApi;
  public readonly webSocketApi: LiveWebSocketApi;

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    const maxHttpTimeoutSeconds = props.maxHttpTimeoutSeconds ?? 29;
    if (maxHttpTimeoutSeconds < 1 || maxHttpTimeoutSeconds > 29) {
      throw new Error(`maxHttpTimeoutSeconds must be 1..29 (API Gateway HTTP integrations end at 30 s), got ${maxHttpTimeoutSeconds}.`);
    }
    if (props.issuers.length === 0 && !props.devBasicUsers) {
      // Synth must work out of the box; a deployment without issuers would reject every request, so say so loudly.
      Annotations.of(this).addWarningV2(
        'ditto:no-issuers',
        "No OIDC issuer (context 'issuers') and no dev Basic users are configured: every request will be rejected with 401.",
      );
    }
    const retention = logRetention(props.logRetentionDays ?? 30);
    const throttle = props.throttle ?? { rateLimit: 500, burstLimit: 1000 };
    const stageName = props.webSocketStageName ?? 'ws';

    this.tables = new MessagingTables(this, 'Tables');
    const t = this.tables.tables;

    const timeoutDlq = new sqs.Queue(this, 'TimeoutDeadLetters', { enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED, retentionPeriod: Duration.days(4) });
    const timeoutQueue = new sqs.Queue(this, 'TimeoutQueue', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      visibilityTimeout: Duration.seconds(30),
      deadLetterQueue: { queue: timeoutDlq, maxReceiveCount: 3 },
    });

    // Large fan-outs are split into batches that fan-out invocations deliver in parallel.
    const fanOutDlq = new sqs.Queue(this, 'FanOutDeadLetters', { enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED, retentionPeriod: Duration.days(4) });
    const fanOutQueue = new sqs.Queue(this, 'FanOutQueue', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      visibilityTimeout: Duration.seconds(60),
      // Messages are live: a batch nobody delivered within a few minutes is not worth delivering.
      retentionPeriod: Duration.minutes(5),
      deadLetterQueue: { queue: fanOutDlq, maxReceiveCount: 2 },
    });

    const baseEnv: Record<string, string> = {
      ...Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((k) => [TABLES[k].envName, t[k].tableName])),
      AUTH_ISSUERS: JSON.stringify(props.issuers),
      ...(props.devBasicUsers ? { DEV_BASIC_USERS: props.devBasicUsers } : {}),
      MAX_MESSAGE_BYTES: String(props.maxMessageBytes ?? 128 * 1024),
      MAX_HTTP_TIMEOUT_MS: String(maxHttpTimeoutSeconds * 1000),
      CACHE_TTL_MS: String(props.cacheTtlMs ?? 2000),
    };
    const make = (id: string, handler: ConstructorParameters<typeof HandlerFunction>[2]['handler'], timeout = Duration.seconds(10), env: Record<string, string> = {}) =>
      new HandlerFunction(this, id, {
        handler,
        environment: { ...baseEnv, ...env },
        memorySize: props.lambdaMemoryMb ?? 512,
        timeout,
        logRetention: retention,
      }).fn;

    const authorizerFn = make('WsAuthorizer', 'ws-authorizer', Duration.seconds(5));
    const connectFn = make('WsConnect', 'ws-connect');
    const disconnectFn = make('WsDisconnect', 'ws-disconnect');
    const defaultFn = make('WsDefault', 'ws-default', Duration.seconds(29), { TIMEOUT_QUEUE_URL: timeoutQueue.queueUrl, FANOUT_QUEUE_URL: fanOutQueue.queueUrl });
    const timeoutFn = make('WsTimeout', 'ws-timeout', Duration.seconds(20));
    const fanOutFn = make('FanOut', 'fanout', Duration.seconds(30));

    this.webSocketApi = new LiveWebSocketApi(this, 'WebSocket', {
      authorizer: authorizerFn,
      connect: connectFn,
      disconnect: disconnectFn,
      default: defaultFn,
      stageName,
      throttle,
      logRetention: retention,
    });
    // The HTTP function waits for responses: it must outlive the longest wait.
    const httpFn = make('HttpApiHandler', 'http-api', Duration.seconds(maxHttpTimeoutSeconds + 1), { FANOUT_QUEUE_URL: fanOutQueue.queueUrl });
    this.httpApi = new ThingsHttpApi(this, 'Http', { handler: httpFn, throttle, logRetention: retention });

    for (const fn of [httpFn, defaultFn, timeoutFn, fanOutFn]) {
      fn.addEnvironment('MANAGEMENT_ENDPOINT', this.webSocketApi.managementEndpoint);
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [this.webSocketApi.managementArn()] }));
      Validations.of(fn.role!).acknowledge({
        id: this.webSocketApi.managementWildcardFindingId(),
        reason: 'Connection ids are generated by API Gateway at run time: ManageConnections is scoped to this API and stage, @connections/* only.',
      });
    }

    // Least privilege, per function.
    t.connections.grantWriteData(connectFn);
    t.connections.grantWriteData(disconnectFn);
    t.subscriptions.grantWriteData(disconnectFn);

    t.connections.grantReadWriteData(defaultFn);
    t.subscriptions.grantReadWriteData(defaultFn);
    t.things.grantReadData(defaultFn);
    t.policies.grantReadData(defaultFn);
    t.correlations.grantReadWriteData(defaultFn);
    timeoutQueue.grantSendMessages(defaultFn);

    t.things.grantReadWriteData(httpFn);
    t.policies.grantReadWriteData(httpFn);
    t.subscriptions.grantReadWriteData(httpFn); // query the index; delete a gone connection's items
    t.connections.grantWriteData(httpFn);
    t.correlations.grantReadWriteData(httpFn);

    fanOutQueue.grantSendMessages(defaultFn);
    fanOutQueue.grantSendMessages(httpFn);
    t.connections.grantWriteData(fanOutFn); // 410: remove the gone connection
    t.subscriptions.grantWriteData(fanOutFn);
    fanOutFn.addEventSource(new SqsEventSource(fanOutQueue, { batchSize: 5, reportBatchItemFailures: true }));

    t.correlations.grantReadWriteData(timeoutFn);
    timeoutFn.addEventSource(new SqsEventSource(timeoutQueue, { batchSize: 10, reportBatchItemFailures: true }));

    new CfnOutput(this, 'HttpUrl', { value: this.httpApi.url, description: 'Ditto HTTP API base (things, policies, messages)' });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketApi.url, description: 'Ditto Protocol WebSocket endpoint' });
  }
}

function logRetention(days: number): logs.RetentionDays {
  const known = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!known.includes(days)) throw new Error(`logRetentionDays must be one of CloudWatch's values (${known.join(', ')}), got ${days}.`);
  return days as logs.RetentionDays;
}
