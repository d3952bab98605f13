import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigwv1 from 'aws-cdk-lib/aws-apigateway';
import type { CfnResource } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { IssuerConfig } from '../lambdas/config';
import { type CreationRestriction, parseCreationRestriction } from '../lambdas/core/policy/creation';
import { DEFAULTS, FUNCTION_TIMEOUT_SECONDS } from '../lambdas/defaults';
import { AddressPolicy } from '../lambdas/core/targets/addresses';
import { TABLES, type TableKey } from '../lambdas/store/schema';
import { LiveWebSocketApi, type ThrottleProps, ThingsHttpApi } from './apis';
import { FUNCTION_ACCESS, type FunctionAccess, type FunctionName } from './access';
import { HandlerFunction } from './functions';
import { ConsumedQueue } from './consumed-queue';
import { FrontDoor, type FrontDoorProps } from './front-door';
import { CognitoIdentity } from './identity';
import { Operations } from './operations';
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
  /** Header names withheld from recipients besides the built-in credential headers. @default none */
  readonly withheldHeaders?: readonly string[];
  /**
   * Set the account's API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`), without which a
   * WebSocket stage with access logging cannot be created. Turn off where the account manages it
   * elsewhere: there is one such setting per account and region, and the last writer wins.
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /** CloudFront in front of both APIs: `/api/2`, `/ws/2`, `/console/` on one domain. @default true */
  readonly frontDoor?: boolean | Omit<FrontDoorProps, 'httpApiId' | 'webSocketApiId' | 'webSocketStage'>;
  /** `cognito`: a Cognito user pool and app client configured as an issuer. @default none */
  readonly identity?: 'cognito';
  /** Mail alarms to this address (SNS topic with an e-mail subscription). @default no notification */
  readonly alarmEmail?: string;
  /** X-Ray active tracing on every function. @default false */
  readonly tracing?: boolean;
  /** Handler log level (POWERTOOLS_LOG_LEVEL). @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Ditto's entity-creation restriction (`grant`/`revoke` rules). @default anyone may create anything */
  readonly entityCreation?: CreationRestriction;
  /** Subjects that are the devops identity, who alone may manage connections (`cognito:admin`). @default nobody */
  readonly devopsSubjects?: readonly string[];
  /**
   * Networks (CIDRs) connection targets may reach besides public addresses. Loopback, private,
   * link-local and metadata addresses are refused unless listed here. @default none
   */
  readonly targetAllowedNetworks?: readonly string[];
}

/** Consumer timeouts of the two queues (their visibility timeouts are six times these). */
const TIMEOUT_CHECK_SECONDS = FUNCTION_TIMEOUT_SECONDS['ws-timeout'];
const FANOUT_SECONDS = FUNCTION_TIMEOUT_SECONDS.fanout;
/** Two tries only: a redelivered batch re-posts to everyone in it (duplicates), so stop early. */
const FANOUT_MAX_RECEIVES = 2;
const TARGET_PUSH_SECONDS = FUNCTION_TIMEOUT_SECONDS['target-push'];
/** Concurrent target-push invocations (SQS event source maximum concurrency). */
const TARGET_PUSH_MAX_CONCURRENCY = 20;

/** The whole router: tables, the two APIs, the Lambda handlers, the timeout queue. */
export class MessagingStack extends Stack {
  public readonly tables: MessagingTables;
  public readonly httpApi: ThingsHttpApi;
  public readonly webSocketApi: LiveWebSocketApi;
  public readonly operations: Operations;
  public readonly frontDoor?: FrontDoor;
  public readonly identity?: CognitoIdentity;
  /** What the WebSocket stage must be created after (the account's logging role). */
  private readonly webSocketApiDependsOn: CfnResource[] = [];

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    const maxHttpTimeoutSeconds = props.maxHttpTimeoutSeconds ?? DEFAULTS.maxHttpTimeoutSeconds;
    if (maxHttpTimeoutSeconds < 1 || maxHttpTimeoutSeconds > 29) {
      throw new Error(`maxHttpTimeoutSeconds must be 1..29 (API Gateway HTTP integrations end at 30 s), got ${maxHttpTimeoutSeconds}.`);
    }
    for (const issuer of props.issuers.filter((i) => i.audience === undefined)) {
      Annotations.of(this).addWarningV2(
        'ditto:issuer-without-audience',
        `The issuer '${issuer.issuer}' has no 'audience': tokens it minted for any other application will be accepted. Set the audience (client id) this router is registered under.`,
      );
    }
    if (props.issuers.length === 0 && !props.devBasicUsers && props.identity === undefined) {
      // Synth must work out of the box; a deployment without issuers would reject every request, so say so loudly.
      Annotations.of(this).addWarningV2(
        'ditto:no-issuers',
        "No OIDC issuer (context 'issuers') and no dev Basic users are configured: every request will be rejected with 401.",
      );
    }
    const retention = logRetention(props.logRetentionDays ?? DEFAULTS.logRetentionDays);
    const throttle = props.throttle ?? DEFAULTS.throttle;
    const stageName = props.webSocketStageName ?? DEFAULTS.webSocketStageName;

    this.tables = new MessagingTables(this, 'Tables');
    const t = this.tables.tables;

    // WebSocket timeout checks: keys only (no payload), delayed up to 15 minutes; maxReceiveCount 5 (AWS's
    // recommended minimum for SQS event sources) so a check that failed on throttling is retried first.
    const timeoutChecks = new ConsumedQueue(this, 'TimeoutChecks', {
      consumerTimeout: Duration.seconds(TIMEOUT_CHECK_SECONDS),
      retention: Duration.days(1),
      maxReceiveCount: 5,
      deadLetterRetention: Duration.days(4),
    });
    // Large fan-outs are split into batches that fan-out invocations deliver in parallel. The batches hold
    // whole envelopes of live messages: kept minutes (a late delivery is worthless), parked for an hour to
    // alarm on and inspect; two receives only, as a redelivered batch re-posts to everyone in it.
    const fanOutBatches = new ConsumedQueue(this, 'FanOutBatches', {
      consumerTimeout: Duration.seconds(FANOUT_SECONDS),
      retention: Duration.seconds((FANOUT_MAX_RECEIVES + 1) * 6 * FANOUT_SECONDS),
      maxReceiveCount: FANOUT_MAX_RECEIVES,
      deadLetterRetention: Duration.hours(1),
    });
    // Pushes to connection targets, one message per SQS message. A router, not a broker: an endpoint that
    // fails is not retried; only a push whose invocation failed outright is received a second time.
    const targetPushes = new ConsumedQueue(this, 'TargetPushes', {
      consumerTimeout: Duration.seconds(TARGET_PUSH_SECONDS),
      retention: Duration.seconds((FANOUT_MAX_RECEIVES + 1) * 6 * TARGET_PUSH_SECONDS),
      maxReceiveCount: FANOUT_MAX_RECEIVES,
      deadLetterRetention: Duration.hours(1),
    });
    const timeoutQueue = timeoutChecks.queue;
    const fanOutQueue = fanOutBatches.queue;
    const timeoutDlq = timeoutChecks.deadLetterQueue;
    const fanOutDlq = fanOutBatches.deadLetterQueue;

    // Parsed here as the handlers will parse it: a bad network fails the synth, not every message after the deploy.
    new AddressPolicy(props.targetAllowedNetworks ?? []);
    const targetEnv: Record<string, string> = {
      TARGET_QUEUE_URL: targetPushes.queue.queueUrl,
      ...(props.targetAllowedNetworks && props.targetAllowedNetworks.length > 0 ? { TARGET_ALLOWED_NETWORKS: props.targetAllowedNetworks.join(',') } : {}),
    };
    const baseEnv: Record<string, string> = {
      ...Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((k) => [TABLES[k].envName, t[k].tableName])),
      MAX_MESSAGE_BYTES: String(props.maxMessageBytes ?? DEFAULTS.maxMessageBytes),
      MAX_HTTP_TIMEOUT_MS: String(maxHttpTimeoutSeconds * 1000),
      CACHE_TTL_MS: String(props.cacheTtlMs ?? DEFAULTS.cacheTtlMs),
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? DEFAULTS.logLevel,
      ...(props.withheldHeaders && props.withheldHeaders.length > 0 ? { WITHHELD_HEADERS: props.withheldHeaders.join(',') } : {}),
    };
    // Credentials only where requests are authenticated: issuers for JWTs (JWT-TOKEN refreshes on
    // $default too), Basic passwords only where an Authorization header is checked.
    if (props.identity !== undefined && props.identity !== 'cognito')
      throw new Error(`identity must be 'cognito' (or unset), got '${String(props.identity)}'.`);
    this.identity = props.identity === 'cognito' ? new CognitoIdentity(this, 'Identity') : undefined;
    const issuers = [...props.issuers, ...(this.identity ? [this.identity.issuer] : [])];
    // toJsonString: the Cognito issuer's pool and client ids are resolved at deploy time.
    const issuersEnv = { AUTH_ISSUERS: this.toJsonString(issuers) };
    const basicEnv: Record<string, string> = props.devBasicUsers ? { DEV_BASIC_USERS: props.devBasicUsers } : {};
    const make = (
      id: string,
      handler: ConstructorParameters<typeof HandlerFunction>[2]['handler'],
      timeout = Duration.seconds(10),
      env: Record<string, string> = {},
    ) =>
      new HandlerFunction(this, id, {
        handler,
        environment: { ...baseEnv, ...env },
        memorySize: props.lambdaMemoryMb ?? DEFAULTS.lambdaMemoryMb,
        timeout,
        logRetention: retention,
        ...(props.tracing ? { tracing: true } : {}),
      }).fn;

    const authorizerFn = make('WsAuthorizer', 'ws-authorizer', Duration.seconds(FUNCTION_TIMEOUT_SECONDS['ws-authorizer']), { ...issuersEnv, ...basicEnv });
    const connectFn = make('WsConnect', 'ws-connect', Duration.seconds(FUNCTION_TIMEOUT_SECONDS['ws-connect']));
    const disconnectFn = make('WsDisconnect', 'ws-disconnect', Duration.seconds(FUNCTION_TIMEOUT_SECONDS['ws-disconnect']));
    const defaultFn = make('WsDefault', 'ws-default', Duration.seconds(FUNCTION_TIMEOUT_SECONDS['ws-default']), {
      ...issuersEnv,
      TIMEOUT_QUEUE_URL: timeoutQueue.queueUrl,
      FANOUT_QUEUE_URL: fanOutQueue.queueUrl,
      ...targetEnv,
    });
    const timeoutFn = make('WsTimeout', 'ws-timeout', Duration.seconds(TIMEOUT_CHECK_SECONDS));
    const fanOutFn = make('FanOut', 'fanout', Duration.seconds(FANOUT_SECONDS));
    const sweepFn = make('TokenSweep', 'token-sweep', Duration.seconds(FUNCTION_TIMEOUT_SECONDS['token-sweep']));
    const targetPushFn = make('TargetPush', 'target-push', Duration.seconds(TARGET_PUSH_SECONDS), targetEnv);

    if (props.apiGatewayCloudWatchRole ?? true) this.configureApiGatewayLogging();

    this.webSocketApi = new LiveWebSocketApi(this, 'WebSocket', {
      authorizer: authorizerFn,
      connect: connectFn,
      disconnect: disconnectFn,
      default: defaultFn,
      stageName,
      throttle,
      logRetention: retention,
    });
    for (const dependency of this.webSocketApiDependsOn) this.webSocketApi.stage.node.addDependency(dependency);
    // The HTTP function waits for responses: it must outlive the longest wait.
    const creationEnv: Record<string, string> = props.entityCreation ? { ENTITY_CREATION: JSON.stringify(parseCreationRestriction(props.entityCreation)) } : {};
    const httpFn = make('HttpApiHandler', 'http-api', Duration.seconds(maxHttpTimeoutSeconds + 1), {
      ...issuersEnv,
      ...basicEnv,
      ...creationEnv,
      FANOUT_QUEUE_URL: fanOutQueue.queueUrl,
      ...targetEnv,
      ...(props.devopsSubjects && props.devopsSubjects.length > 0 ? { DEVOPS_SUBJECTS: props.devopsSubjects.join(',') } : {}),
    });
    this.httpApi = new ThingsHttpApi(this, 'Http', { handler: httpFn, throttle, logRetention: retention });

    // TargetPush posts to a WebSocket issuer when a target answers its message.
    for (const fn of [httpFn, defaultFn, timeoutFn, fanOutFn, sweepFn, targetPushFn]) {
      fn.addEnvironment('MANAGEMENT_ENDPOINT', this.webSocketApi.managementEndpoint);
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [this.webSocketApi.managementArn()] }));
      Validations.of(fn.role!).acknowledge({
        id: this.webSocketApi.managementWildcardFindingId(),
        reason: 'Connection ids are generated by API Gateway at run time: ManageConnections is scoped to this API and stage, @connections/* only.',
      });
    }

    // Least privilege, per function: exactly the DynamoDB actions its code sends (FUNCTION_ACCESS).
    const functions: Record<FunctionName, lambda.IFunction> = {
      WsAuthorizer: authorizerFn,
      WsConnect: connectFn,
      WsDisconnect: disconnectFn,
      WsDefault: defaultFn,
      WsTimeout: timeoutFn,
      FanOut: fanOutFn,
      TokenSweep: sweepFn,
      HttpApiHandler: httpFn,
      TargetPush: targetPushFn,
    };
    for (const [name, access] of Object.entries(FUNCTION_ACCESS) as [FunctionName, FunctionAccess][]) {
      for (const [table, actions] of Object.entries(access) as [TableKey, readonly string[]][]) {
        const tableActions = actions.filter((a) => !a.includes('@'));
        const indexActions = actions.filter((a) => a.includes('@')).map((a) => a.split('@') as [string, string]);
        if (tableActions.length > 0) {
          functions[name].addToRolePolicy(new iam.PolicyStatement({ actions: tableActions.map((a) => `dynamodb:${a}`), resources: [t[table].tableArn] }));
        }
        for (const [action, index] of indexActions) {
          functions[name].addToRolePolicy(new iam.PolicyStatement({ actions: [`dynamodb:${action}`], resources: [`${t[table].tableArn}/index/${index}`] }));
        }
      }
    }
    timeoutQueue.grantSendMessages(defaultFn);
    fanOutQueue.grantSendMessages(defaultFn);
    fanOutQueue.grantSendMessages(httpFn);
    fanOutBatches.consumeWith(fanOutFn, 5);
    targetPushes.queue.grantSendMessages(defaultFn);
    targetPushes.queue.grantSendMessages(httpFn);
    // Bounded concurrency: endpoints that hang hold invocations for up to 20 s each; they must not take the
    // account's Lambda concurrency from the functions that route messages (pushes wait in the queue instead).
    targetPushes.consumeWith(targetPushFn, 10, TARGET_PUSH_MAX_CONCURRENCY);
    timeoutChecks.consumeWith(timeoutFn, 10);

    // A connection whose token expired is closed within a minute even if it is silent.
    new events.Rule(this, 'TokenSweepSchedule', {
      description: 'Closes WebSocket connections whose token has expired',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(sweepFn, { retryAttempts: 0 })],
    });

    this.operations = new Operations(this, 'Operations', {
      functions,
      httpApiId: this.httpApi.api.apiId,
      webSocketApiId: this.webSocketApi.api.apiId,
      webSocketStage: stageName,
      tables: t,
      queues: { Timeout: timeoutQueue, FanOut: fanOutQueue, TargetPush: targetPushes.queue },
      deadLetterQueues: { Timeout: timeoutDlq, FanOut: fanOutDlq, TargetPush: targetPushes.deadLetterQueue },
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.operations.dashboard.dashboardName}`,
      description: 'CloudWatch dashboard of the router',
    });

    const frontDoorOptions = props.frontDoor === undefined || props.frontDoor === true ? {} : props.frontDoor === false ? undefined : props.frontDoor;
    if (frontDoorOptions) {
      this.frontDoor = new FrontDoor(this, 'FrontDoor', {
        ...frontDoorOptions,
        httpApiId: this.httpApi.api.apiId,
        webSocketApiId: this.webSocketApi.api.apiId,
        webSocketStage: stageName,
      });
      const domain = this.frontDoor.domainName;
      new CfnOutput(this, 'BaseUrl', { value: `https://${domain}`, description: 'One domain for Ditto clients (withDomain + withTls)' });
      new CfnOutput(this, 'HttpUrl', { value: `https://${domain}/api/2`, description: 'Ditto HTTP API base (things, policies, messages)' });
      new CfnOutput(this, 'WebSocketUrl', { value: `wss://${domain}/ws/2`, description: 'Ditto Protocol WebSocket endpoint' });
      new CfnOutput(this, 'ConsoleUrl', { value: `https://${domain}/console/`, description: 'The live console (add ?access_token=<jwt> to sign in)' });
      new CfnOutput(this, 'ConsoleBucket', {
        value: this.frontDoor.consoleBucket.bucketName,
        description: 'Where the live console files go (served at /console/)',
      });
      new CfnOutput(this, 'ApiGatewayHttpUrl', { value: this.httpApi.url, description: 'The HTTP API without CloudFront' });
      new CfnOutput(this, 'ApiGatewayWebSocketUrl', { value: this.webSocketApi.url, description: 'The WebSocket API stage without CloudFront' });
    } else {
      new CfnOutput(this, 'HttpUrl', { value: this.httpApi.url, description: 'Ditto HTTP API base (things, policies, messages)' });
      new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketApi.url, description: 'Ditto Protocol WebSocket endpoint' });
    }
    if (this.identity) {
      new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId, description: 'Cognito user pool: create device users here' });
      new CfnOutput(this, 'UserPoolClientId', {
        value: this.identity.client.userPoolClientId,
        description: 'App client for initiate-auth (USER_PASSWORD_AUTH); ID tokens are accepted',
      });
    }
  }

  /**
   * API Gateway writes WebSocket access logs with an account-level role; on an account that never set
   * one, creating the stage fails ("CloudWatch Logs role ARN must be set in account settings").
   */
  private configureApiGatewayLogging(): void {
    const role = new iam.Role(this, 'ApiGatewayCloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    // Kept on stack deletion: other APIs of the account may log through it by then.
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const account = new apigwv1.CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.webSocketApiDependsOn.push(account);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for API Gateway's account-level logging role.",
    });
  }
}

function logRetention(days: number): logs.RetentionDays {
  const known = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!known.includes(days)) throw new Error(`logRetentionDays must be one of CloudWatch's values (${known.join(', ')}), got ${days}.`);
  return days as logs.RetentionDays;
}
