import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { TABLES, type TableSchema } from '../../lambdas/store/schema';
import { HTTP_API_LOG_VARIABLES, WEBSOCKET_API_LOG_VARIABLES } from '../../lib/access-logs';
import { ConsumedQueue } from '../../lib/consumed-queue';
import { MessagingStack } from '../../lib/messaging-stack';
import { MessagingTables } from '../../lib/tables';
import { testApp } from '../support/cdk-apps';

const ISSUER = { issuer: 'https://issuer.example/', jwksUrl: 'https://issuer.example/jwks.json', prefix: 'example' };

/** The router's own functions (not CDK's BucketDeployment provider). */
function handlerFunctions(t: Template): Record<string, any> {
  return Object.fromEntries(Object.entries(t.findResources('AWS::Lambda::Function')).filter(([id]) => !id.startsWith('CustomCDKBucketDeployment')));
}

function synth(props: Partial<ConstructorParameters<typeof MessagingStack>[2]> = {}): Template {
  // Skip esbuild bundling in assertions: the template is what matters here.
  const app = testApp({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MessagingStack(app, 'TestStack', { issuers: [ISSUER], env: { account: '123456789012', region: 'eu-central-1' }, ...props });
  return Template.fromStack(stack);
}

/** The IAM policy statements of the function whose environment has `functionEnvKey`. */
function policyStatementsOf(template: Template, functionEnvKey: string): { Action: string | string[]; Resource: unknown }[] {
  const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
  const [fnId] = functions.find(([, f]) => f.Properties?.Environment?.Variables?.[functionEnvKey] !== undefined) ?? [];
  if (!fnId) return [];
  const prefix = fnId.replace(/Function[0-9A-F]{8}$/, '');
  return Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(`${prefix}Role`))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

describe('When the stack is synthesized with defaults', () => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  });

  it('creates the five tables from the shared schema, on demand', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', Object.keys(TABLES).length);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'subject', KeyType: 'HASH' },
        { AttributeName: 'connectionId', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('puts TTL on session tables and point-in-time recovery on things and policies', () => {
    for (const key of ['connectionId', 'key']) {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      });
    }
    for (const key of ['thingId', 'policyId']) {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
  });

  it('keeps the tables with data (PITR) on stack deletion, deletes the session tables, and types every key as the schema says', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(Object.keys(TABLES).length);
    for (const schema of Object.values(TABLES) as TableSchema[]) {
      const table = tables.find(
        (t) => t.Properties.KeySchema[0].AttributeName === schema.partitionKey.name && (schema.sortKey === undefined) === (t.Properties.KeySchema.length === 1),
      );
      expect({ key: schema.partitionKey.name, policy: table?.DeletionPolicy }).toEqual({
        key: schema.partitionKey.name,
        policy: schema.pointInTimeRecovery ? 'Retain' : 'Delete',
      });
      for (const k of [schema.partitionKey, ...(schema.sortKey ? [schema.sortKey] : []), ...Object.values(schema.indexes ?? {}).map((i) => i.partitionKey)])
        expect(table?.Properties.AttributeDefinitions).toContainEqual({ AttributeName: k.name, AttributeType: k.type });
    }
  });

  it('deletes every table with the stack when data is not to be retained (a test stack)', () => {
    const stack = new Stack(testApp(), 'Disposable');
    new MessagingTables(stack, 'Tables', { retainData: false });
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table')).map((t) => t.DeletionPolicy);
    expect(policies).toEqual(Object.keys(TABLES).map(() => 'Delete'));
  });

  it('routes /api/2/{proxy+} on the HTTP API', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /api/2/{proxy+}' });
  });

  it('has $connect (with the Lambda authorizer), $disconnect and a two-way $default on the WebSocket API', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$connect', AuthorizationType: 'CUSTOM', AuthorizerId: Match.anyValue() });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$disconnect' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', RouteResponseSelectionExpression: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'REQUEST' });
  });

  it('integrates the HTTP API by Lambda proxy with payload format 2.0, the event shape the handler reads', () => {
    const httpApiId = Object.keys(template.findResources('AWS::ApiGatewayV2::Api', { Properties: { ProtocolType: 'HTTP' } }))[0];
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { ApiId: { Ref: httpApiId }, IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('gives the WebSocket authorizer no identity source, so that a token in the query or in a header reaches it (and its absence too)', () => {
    // With an identity source, API Gateway would answer 401 itself to a request lacking it, before the authorizer runs.
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'REQUEST', IdentitySource: [] });
  });

  it('deploys the WebSocket stage on every change (no separate deployment to forget)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'ws', AutoDeploy: true });
  });

  it('describes both APIs for whoever finds them in the console', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', Description: Match.stringLikeRegexp('Ditto') });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', Description: Match.stringLikeRegexp('Ditto Protocol') });
  });

  it("tells the functions the stage's Management API endpoint: https, the API's execute-api host, the stage", () => {
    const wsApiId = Object.keys(template.findResources('AWS::ApiGatewayV2::Api', { Properties: { ProtocolType: 'WEBSOCKET' } }))[0];
    const expected = { 'Fn::Join': ['', ['https://', { Ref: wsApiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/ws']] };
    const endpoints = Object.values(handlerFunctions(template))
      .map((f) => f.Properties.Environment?.Variables?.MANAGEMENT_ENDPOINT)
      .filter((v) => v !== undefined);
    expect(endpoints.length).toBeGreaterThan(0);
    for (const endpoint of endpoints) expect(endpoint).toEqual(expected);
    template.hasOutput('ApiGatewayWebSocketUrl', {
      Value: { 'Fn::Join': ['', ['wss://', { Ref: wsApiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/ws']] },
    });
    const httpApiId = Object.keys(template.findResources('AWS::ApiGatewayV2::Api', { Properties: { ProtocolType: 'HTTP' } }))[0];
    template.hasOutput('ApiGatewayHttpUrl', { Value: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [httpApiId, 'ApiEndpoint'] }, '/api/2']] } });
  });

  it("keeps each stage's access logs in a log group of its own for the configured retention", () => {
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const groups = template.findResources('AWS::Logs::LogGroup');
    const destinations = stages.map((st) => st.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0] as string);
    expect(new Set(destinations).size).toBe(2);
    for (const id of destinations) expect(groups[id]?.Properties.RetentionInDays).toBe(30);
    const longer = synth({ logRetentionDays: 90 }).findResources('AWS::Logs::LogGroup');
    for (const id of destinations) expect(longer[id]?.Properties.RetentionInDays).toBe(90);
  });

  it('logs access on each stage with only the variables its API type documents', () => {
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const apis = template.findResources('AWS::ApiGatewayV2::Api');
    expect(stages).toHaveLength(2);
    for (const stage of stages) {
      const protocol = apis[stage.Properties.ApiId.Ref].Properties.ProtocolType as 'HTTP' | 'WEBSOCKET';
      const allowed: readonly string[] = protocol === 'HTTP' ? HTTP_API_LOG_VARIABLES : WEBSOCKET_API_LOG_VARIABLES;
      const format = stage.Properties.AccessLogSettings.Format as string;
      const used = [...format.matchAll(/\$context\.([A-Za-z0-9_.]+)/g)].map((m) => m[1]!);
      expect(used).toContain('requestId'); // required by API Gateway
      const allowedRe = allowed.map((v) => new RegExp(`^${v.replace(/\./g, '\\.').replace(/\{property\}/g, '[A-Za-z0-9_]+')}$`));
      for (const v of used)
        expect({ protocol, variable: v, documented: allowedRe.some((re) => re.test(v)) }).toEqual({ protocol, variable: v, documented: true });
    }
    // The two documented lists really differ where it matters.
    expect(HTTP_API_LOG_VARIABLES).not.toContain('connectionId');
    expect(WEBSOCKET_API_LOG_VARIABLES).not.toContain('httpMethod');
  });

  it('writes one JSON access log line per request with the fields the README documents for each API type', () => {
    const apis = template.findResources('AWS::ApiGatewayV2::Api');
    const formats = Object.fromEntries(
      Object.values(template.findResources('AWS::ApiGatewayV2::Stage')).map((st) => [
        apis[st.Properties.ApiId.Ref].Properties.ProtocolType,
        JSON.parse(st.Properties.AccessLogSettings.Format as string),
      ]),
    );
    const common = {
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationLatency: '$context.integrationLatency',
    };
    expect(formats.HTTP).toEqual({
      ...common,
      method: '$context.httpMethod',
      path: '$context.path',
      responseLength: '$context.responseLength',
      latency: '$context.responseLatency',
      integrationError: '$context.integrationErrorMessage',
    });
    expect(formats.WEBSOCKET).toEqual({
      ...common,
      eventType: '$context.eventType',
      connectionId: '$context.connectionId',
      integrationError: '$context.integration.error',
      authorizerError: '$context.authorizer.error',
    });
  });

  it("sets the account's API Gateway CloudWatch role before the WebSocket stage, kept on delete", () => {
    const accounts = template.findResources('AWS::ApiGateway::Account');
    expect(Object.keys(accounts)).toHaveLength(1);
    const [accountId, account] = Object.entries(accounts)[0]!;
    expect(account.DeletionPolicy).toBe('Retain');
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0] as string;
    const role = template.findResources('AWS::IAM::Role')[roleId]!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service).toBe('apigateway.amazonaws.com');
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('service-role/AmazonAPIGatewayPushToCloudWatchLogs');
    const wsStage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage')).find((st) => st.Properties.StageName === 'ws')!;
    expect(wsStage.DependsOn).toContain(accountId);
  });

  it('gives each queue a visibility timeout of at least six times its consumer timeout, and explicit retention', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const functions = template.findResources('AWS::Lambda::Function');
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(3);
    for (const m of mappings) {
      const queue = queues[m.Properties.EventSourceArn['Fn::GetAtt'][0]]!;
      const fn = functions[m.Properties.FunctionName.Ref]!;
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
    }
    // Each queue keeps messages as long as it is worth it, and its dead letters longer than that.
    const retentions = Object.entries(queues)
      .map(([id, q]) => [id.replace(/[0-9A-F]{8}$/, ''), q.Properties.MessageRetentionPeriod])
      .sort();
    expect(retentions).toEqual([
      ['FanOutBatchesDeadLetters', 3600],
      ['FanOutBatchesQueue', 540],
      ['TargetPushesDeadLetters', 3600],
      ['TargetPushesQueue', 540],
      ['TimeoutChecksDeadLetters', 345600],
      ['TimeoutChecksQueue', 86400],
    ]);
  });

  it('throttles and logs access on both stages', () => {
    template.resourcePropertiesCountIs(
      'AWS::ApiGatewayV2::Stage',
      {
        DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      },
      2,
    );
  });

  it('runs every handler on Node.js 22, arm64, with source maps and a retained log group; the only other function is the console deployment', () => {
    const all = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(all.filter((id) => !Object.keys(handlerFunctions(template)).includes(id))).toEqual([expect.stringMatching(/^CustomCDKBucketDeployment/)]);
    expect(Object.keys(handlerFunctions(template))).toHaveLength(9);
    for (const fn of Object.values(handlerFunctions(template))) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('scopes execute-api:ManageConnections to this WebSocket API stage', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'execute-api:ManageConnections',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([Match.stringLikeRegexp('execute-api'), { Ref: Match.stringLikeRegexp('WebSocketApi') }, '/ws/*/@connections/*']),
              ],
            },
          }),
        ]),
      },
    });
  });

  it('gives the $connect function write access to connections only', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const connectPolicy = Object.entries(policies).find(([id]) => id.startsWith('WsConnect'))![1];
    const statements = connectPolicy.Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown }[];
    const tables = JSON.stringify(statements.map((s) => s.Resource));
    expect(tables).toMatch(/TablesConnections/);
    expect(tables).not.toMatch(/TablesThings|TablesPolicies|TablesCorrelations|TablesSubscriptions/);
    expect(statements.flatMap((s) => s.Action)).not.toContain('dynamodb:Query');
  });

  it('lets the authorizer write its own logs and touch no table', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const authorizer = Object.entries(policies).filter(([id]) => id.startsWith('WsAuthorizer'));
    const actions = authorizer.flatMap(([, p]) => (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => s.Action));
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('gives every handler its own role instead of the managed AWSLambdaBasicExecutionRole', () => {
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(
      ([id, r]) =>
        r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'lambda.amazonaws.com' && !id.startsWith('CustomCDKBucketDeployment'),
    );
    expect(roles).toHaveLength(9);
    for (const [, role] of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('feeds WebSocket timeouts through an encrypted SQS delay queue with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    // Only ws-default schedules checks: it may send to the timeout queue, and nothing else may.
    const sends = policyStatementsOf(template, 'TIMEOUT_QUEUE_URL').filter((st) => ([] as string[]).concat(st.Action).includes('sqs:SendMessage'));
    expect(sends.map((st) => JSON.stringify(st.Resource))).toEqual(expect.arrayContaining([expect.stringMatching(/TimeoutChecksQueue/)]));
    const senders = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, p]) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).some(
        (st) => ([] as string[]).concat(st.Action).includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes('TimeoutChecksQueue'),
      ),
    );
    expect(senders.map(([id]) => id.replace(/Role.*/, ''))).toEqual(['WsDefault']);
  });

  it('hands large fan-outs to a fan-out function through a short-lived SQS queue', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 540,
      RedrivePolicy: { maxReceiveCount: 2, deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 5, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const senders = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment.Variables.FANOUT_QUEUE_URL !== undefined,
    );
    expect(senders).toHaveLength(2); // http-api and ws-default
  });

  it('pushes to connection targets from a function of its own, fed by a queue only the routing functions send to', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const [pushId, push] = Object.entries(functions).find(([id]) => id.startsWith('TargetPush'))!;
    expect(push.Properties.Timeout).toBe(30);
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find((m) => m.Properties.FunctionName.Ref === pushId)!;
    expect(mapping.Properties.EventSourceArn['Fn::GetAtt'][0]).toMatch(/^TargetPushesQueue/);
    // Hanging endpoints wait in the queue instead of taking the account's concurrency from the routing functions.
    expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 20 });
    const withQueue = Object.entries(functions)
      .filter(([, f]) => f.Properties.Environment.Variables.TARGET_QUEUE_URL !== undefined)
      .map(([id]) => id.replace(/Function.*/, ''))
      .sort();
    expect(withQueue).toEqual(['HttpApiHandler', 'TargetPush', 'WsDefault']);
    const senders = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, p]) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).some(
          (st) => ([] as string[]).concat(st.Action).includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes('TargetPushesQueue'),
        ),
      )
      .map(([id]) => id.replace(/Role.*/, ''))
      .sort();
    expect(senders).toEqual(['HttpApiHandler', 'WsDefault']);
    // No devops subject and no allowed private network unless configured.
    for (const f of Object.values(functions)) {
      expect(f.Properties.Environment.Variables.DEVOPS_SUBJECTS).toBeUndefined();
      expect(f.Properties.Environment.Variables.TARGET_ALLOWED_NETWORKS).toBeUndefined();
    }
  });

  it('lets the HTTP function outlive the longest HTTP wait', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 30, Environment: { Variables: Match.objectLike({ MAX_HTTP_TIMEOUT_MS: '29000' }) } });
  });

  it('outputs the HTTP and WebSocket URLs', () => {
    template.hasOutput('HttpUrl', { Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/api/2')])] } });
    template.hasOutput('WebSocketUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['wss://'])] } });
  });

  it('grants each function exactly the DynamoDB actions its code sends, on its tables only', () => {
    // Written out here, not imported: a grant that widens must break this test.
    const expected: Record<string, Record<string, string[]>> = {
      WsAuthorizer: {},
      WsConnect: { Connections: ['PutItem'] },
      WsDisconnect: { Connections: ['DeleteItem', 'GetItem'], Subscriptions: ['BatchWriteItem'] },
      WsDefault: {
        Things: ['GetItem'],
        Policies: ['GetItem'],
        Connections: ['DeleteItem', 'GetItem', 'UpdateItem'],
        Subscriptions: ['BatchWriteItem', 'Query', 'UpdateItem'],
        Correlations: ['PutItem', 'UpdateItem'],
        Targets: ['Query'],
      },
      WsTimeout: { Correlations: ['GetItem', 'UpdateItem'] },
      FanOut: { Connections: ['DeleteItem'], Subscriptions: ['BatchWriteItem'] },
      TokenSweep: { Connections: ['DeleteItem', 'GetItem'], 'Connections/index/byTokenExpiryMinute': ['Query'], Subscriptions: ['BatchWriteItem'] },
      HttpApiHandler: {
        Things: ['DeleteItem', 'GetItem', 'PutItem'],
        Policies: ['DeleteItem', 'GetItem', 'PutItem'],
        Connections: ['DeleteItem'],
        Subscriptions: ['BatchWriteItem', 'Query'],
        Correlations: ['GetItem', 'PutItem', 'UpdateItem'],
        Targets: ['DeleteItem', 'GetItem', 'PutItem', 'Query'],
      },
      TargetPush: { Things: ['GetItem'], Policies: ['GetItem'], Targets: ['Query'], Correlations: ['UpdateItem'] },
    };
    const policies = template.findResources('AWS::IAM::Policy');
    for (const [fn, tables] of Object.entries(expected)) {
      const statements = Object.entries(policies)
        .filter(([id]) => id.startsWith(`${fn}Role`))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
      const granted: Record<string, string[]> = {};
      for (const st of statements) {
        const actions = ([] as string[]).concat(st.Action).filter((a) => a.startsWith('dynamodb:'));
        if (actions.length === 0) continue;
        const resource = JSON.stringify(st.Resource);
        const table = /Tables([A-Z][a-z]+)[0-9A-F]{8}/.exec(resource)![1]!;
        const index = /\/index\/([A-Za-z]+)/.exec(resource)?.[1];
        const key = index ? `${table}/index/${index}` : table;
        granted[key] = [...(granted[key] ?? []), ...actions.map((a) => a.slice('dynamodb:'.length))].sort();
      }
      expect({ fn, granted }).toEqual({ fn, granted: tables });
    }
  });

  it('grants no function Scan, stream reads or an index wildcard', () => {
    const text = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(text).not.toMatch(/dynamodb:(Scan|GetRecords|GetShardIterator|DescribeStream|ListStreams)/);
    expect(text).not.toMatch(/index\/\*/);
  });

  it('gives credentials only to the functions that authenticate', () => {
    const withBasic = synth({ devBasicUsers: 'ditto:secret' });
    const functions = Object.entries(withBasic.findResources('AWS::Lambda::Function'));
    const holding = (variable: string) =>
      functions
        .filter(([, f]) => f.Properties.Environment.Variables[variable] !== undefined)
        .map(([id]) => id.replace(/Function.*/, ''))
        .sort();
    expect(holding('DEV_BASIC_USERS')).toEqual(['HttpApiHandler', 'WsAuthorizer']);
    expect(holding('AUTH_ISSUERS')).toEqual(['HttpApiHandler', 'WsAuthorizer', 'WsDefault']);
  });

  it('indexes connections by token expiry minute and sweeps them every minute', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byTokenExpiryMinute',
          KeySchema: [
            { AttributeName: 'tokenExpiryMinute', KeyType: 'HASH' },
            { AttributeName: 'connectionId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['subjects', 'tokenExpiresAt'] },
        },
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TokenSweep'), 'Arn'] } })],
    });
  });

  it('never enables Basic auth unless configured', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    for (const f of Object.values(functions)) expect(f.Properties.Environment.Variables.DEV_BASIC_USERS).toBeUndefined();
  });
});

describe('When configuration is given', () => {
  it('names the devops subjects to the HTTP function and the allowed target networks to those that check target addresses', () => {
    const t = synth({ devopsSubjects: ['cognito:admin'], targetAllowedNetworks: ['10.1.0.0/16'] });
    const env = (prefix: string) =>
      Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(prefix))![1].Properties.Environment.Variables;
    expect(env('HttpApiHandler').DEVOPS_SUBJECTS).toBe('cognito:admin');
    expect(env('WsDefault').DEVOPS_SUBJECTS).toBeUndefined();
    expect(env('HttpApiHandler').TARGET_ALLOWED_NETWORKS).toBe('10.1.0.0/16');
    expect(env('TargetPush').TARGET_ALLOWED_NETWORKS).toBe('10.1.0.0/16');
    for (const bad of ['everything', '10.0.0/8', '10.0.0.0/33', '::1/200']) expect(() => synth({ targetAllowedNetworks: [bad] })).toThrow(/not a CIDR/);
  });

  it('passes limits and dev users to the functions', () => {
    const template = synth({ maxHttpTimeoutSeconds: 20, maxMessageBytes: 65536, devBasicUsers: 'ditto:ditto', throttle: { rateLimit: 5, burstLimit: 10 } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MAX_HTTP_TIMEOUT_MS: '20000', MAX_MESSAGE_BYTES: '65536', DEV_BASIC_USERS: 'ditto:ditto' }) },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });

  it('fails fast on an HTTP timeout API Gateway cannot honour', () => {
    expect(() => synth({ maxHttpTimeoutSeconds: 45 })).toThrow(/maxHttpTimeoutSeconds must be 1..29/);
  });

  it('synthesizes without issuers but warns that every request would be rejected', () => {
    const app = testApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new MessagingStack(app, 'NoIssuers', { issuers: [] });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('No OIDC issuer'));
  });

  it('refuses a queue whose retention ends before its messages could reach the dead-letter queue', () => {
    const stack = new Stack(testApp(), 'Queues');
    expect(
      () =>
        new ConsumedQueue(stack, 'Short', {
          consumerTimeout: Duration.seconds(30),
          retention: Duration.minutes(5),
          maxReceiveCount: 2,
          deadLetterRetention: Duration.hours(1),
        }),
    ).toThrow(/would vanish instead of reaching the dead-letter queue/);
  });

  it('leaves the API Gateway account setting alone when told to', () => {
    synth({ apiGatewayCloudWatchRole: false }).resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('warns when an issuer has no audience, and not when it has one', () => {
    const app = testApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    const open = new MessagingStack(app, 'NoAudience', { issuers: [ISSUER] });
    Annotations.fromStack(open).hasWarning('*', Match.stringLikeRegexp("issuer 'https://issuer.example/' has no 'audience'"));
    const closed = new MessagingStack(app, 'WithAudience', { issuers: [{ ...ISSUER, audience: 'router' }] });
    Annotations.fromStack(closed).hasNoWarning('*', Match.stringLikeRegexp('audience'));
  });
});

describe('When configuration is given, each setting reaches exactly where it belongs', () => {
  const bare = { 'aws:cdk:bundling-stacks': [] };
  const construct = (props: Partial<ConstructorParameters<typeof MessagingStack>[2]>) =>
    new MessagingStack(testApp({ context: bare }), 'Checked', { issuers: [ISSUER], ...props });
  const envOf = (t: Template, prefix: string) =>
    Object.entries(handlerFunctions(t)).find(([id]) => id.startsWith(prefix))![1].Properties.Environment.Variables as Record<string, unknown>;

  it('accepts an HTTP timeout of 1 to 29 s and refuses 0 and 30, before building anything', () => {
    expect(() => construct({ maxHttpTimeoutSeconds: 1 })).not.toThrow();
    for (const bad of [0, 30])
      expect(() => construct({ maxHttpTimeoutSeconds: bad })).toThrow(
        `maxHttpTimeoutSeconds must be 1..29 (API Gateway HTTP integrations end at 30 s), got ${bad}.`,
      );
  });

  it('gives the HTTP function one second more than the longest wait, whatever that is', () => {
    const t = synth({ maxHttpTimeoutSeconds: 20 });
    expect(Object.entries(handlerFunctions(t)).find(([id]) => id.startsWith('HttpApiHandler'))![1].Properties.Timeout).toBe(21);
  });

  it('tells every function its tables, the cache window (2 s by default) and nothing that was not configured', () => {
    const t = synth();
    const tableRefs = Object.fromEntries(
      Object.entries(t.findResources('AWS::DynamoDB::Table')).map(([id, table]) => [table.Properties.KeySchema[0].AttributeName as string, id]),
    );
    for (const [name, fn] of Object.entries(handlerFunctions(t))) {
      const env = fn.Properties.Environment.Variables;
      for (const schema of Object.values(TABLES) as TableSchema[]) {
        expect([name, schema.envName, env[schema.envName]]).toEqual([name, schema.envName, { Ref: tableRefs[schema.partitionKey.name] }]);
      }
      expect(env.CACHE_TTL_MS).toBe('2000');
      for (const unset of ['WITHHELD_HEADERS', 'ENTITY_CREATION', 'DEV_BASIC_USERS']) expect([name, unset, env[unset]]).toEqual([name, unset, undefined]);
    }
  });

  it('passes lists joined by commas, and leaves an empty list out rather than passing an empty value', () => {
    const t = synth({
      devopsSubjects: ['cognito:admin', 'cognito:ops'],
      targetAllowedNetworks: ['10.1.0.0/16', '10.2.0.0/16'],
      withheldHeaders: ['x-api-key', 'x-secret'],
      entityCreation: { grant: [{ namespaces: ['org.example'] }], revoke: [] },
      cacheTtlMs: 500,
    });
    expect(envOf(t, 'HttpApiHandler')).toMatchObject({
      DEVOPS_SUBJECTS: 'cognito:admin,cognito:ops',
      TARGET_ALLOWED_NETWORKS: '10.1.0.0/16,10.2.0.0/16',
      WITHHELD_HEADERS: 'x-api-key,x-secret',
      ENTITY_CREATION: JSON.stringify({ grant: [{ namespaces: ['org.example'] }], revoke: [] }),
      CACHE_TTL_MS: '500',
    });
    expect(envOf(t, 'FanOut').WITHHELD_HEADERS).toBe('x-api-key,x-secret');
    const empty = synth({ devopsSubjects: [], targetAllowedNetworks: [], withheldHeaders: [] });
    for (const [name, fn] of Object.entries(handlerFunctions(empty))) {
      for (const unset of ['DEVOPS_SUBJECTS', 'TARGET_ALLOWED_NETWORKS', 'WITHHELD_HEADERS'])
        expect([name, unset, fn.Properties.Environment.Variables[unset]]).toEqual([name, unset, undefined]);
    }
  });

  it('names only the configured issuers to the functions that check tokens when there is no Cognito pool', () => {
    const t = synth();
    expect(envOf(t, 'HttpApiHandler').AUTH_ISSUERS).toBe(JSON.stringify([ISSUER]));
    expect(envOf(t, 'WsAuthorizer').AUTH_ISSUERS).toBe(JSON.stringify([ISSUER]));
    expect(envOf(t, 'FanOut').AUTH_ISSUERS).toBeUndefined();
  });

  it("runs each handler from its bundle's handler export, with 512 MB and logs kept 30 days unless told otherwise, each in a log group of its own", () => {
    for (const [props, memory, days] of [
      [{}, 512, 30],
      [{ lambdaMemoryMb: 1024, logRetentionDays: 7 }, 1024, 7],
    ] as const) {
      const t = synth(props);
      const groups = t.findResources('AWS::Logs::LogGroup');
      for (const [name, fn] of Object.entries(handlerFunctions(t))) {
        const group = groups[fn.Properties.LoggingConfig.LogGroup.Ref];
        expect([name, fn.Properties.Handler, fn.Properties.MemorySize, group?.Properties.RetentionInDays]).toEqual([name, 'index.handler', memory, days]);
      }
    }
  });

  it('gives the Cognito pool strong passwords, no self sign-up and no OAuth flows; its client hides whether a user exists', () => {
    const t = synth({ identity: 'cognito' });
    t.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
    });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_PASSWORD_AUTH']),
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
      AllowedOAuthFlowsUserPoolClient: false,
    });
  });

  it("refuses an identity other than 'cognito'", () => {
    expect(() => construct({ identity: 'auth0' as 'cognito' })).toThrow("identity must be 'cognito' (or unset), got 'auth0'.");
  });

  it("keeps logs for one of CloudWatch's retention periods and refuses any other, listing the valid ones", () => {
    synth({ logRetentionDays: 7 }).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    expect(() => construct({ logRetentionDays: 8 })).toThrow(
      /^logRetentionDays must be one of CloudWatch's values \(1, 3, 5, 7, 14, 30, 60, 90, .*\), got 8\.$/,
    );
  });

  it('warns about a missing issuer only when nothing at all can authenticate, with an id the warning can be acknowledged by', () => {
    const warned = (props: Partial<ConstructorParameters<typeof MessagingStack>[2]>) =>
      Annotations.fromStack(construct(props))
        .findWarning('*', Match.stringLikeRegexp('No OIDC issuer'))
        .map((w) => String(w.entry.data));
    expect(warned({ issuers: [] })).toEqual([expect.stringContaining('[ack: ditto:no-issuers]')]);
    expect(warned({ issuers: [{ ...ISSUER, audience: 'router' }] })).toEqual([]);
    expect(warned({ issuers: [], devBasicUsers: 'ditto:ditto' })).toEqual([]);
    expect(warned({ issuers: [], identity: 'cognito' })).toEqual([]);
    const audience = Annotations.fromStack(construct({ issuers: [ISSUER] })).findWarning('*', Match.stringLikeRegexp('no .audience'));
    expect(audience.map((w) => String(w.entry.data))).toEqual([expect.stringContaining('[ack: ditto:issuer-without-audience]')]);
  });

  it('sweeps expired connections every minute without retrying a failed sweep (the next one comes within the minute), and describes every output', () => {
    const t = synth();
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Description: Match.stringLikeRegexp('token has expired'),
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    const plain = synth({ frontDoor: false, identity: 'cognito' });
    expect(Object.keys(plain.findOutputs('*')).sort()).toEqual(['DashboardUrl', 'HttpUrl', 'UserPoolClientId', 'UserPoolId', 'WebSocketUrl']);
    for (const [name, output] of [...Object.entries(t.findOutputs('*')), ...Object.entries(plain.findOutputs('*'))])
      expect([name, typeof output.Description, output.Description.length > 10]).toEqual([name, 'string', true]);
    const dashboard = JSON.stringify(t.findOutputs('DashboardUrl').DashboardUrl.Value);
    expect(dashboard).toMatch(/console\.aws\.amazon\.com\/cloudwatch\/home\?region=.*#dashboards:name=/);
  });
});

describe('When clients come through the front door (CloudFront)', () => {
  const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
  const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
  let template: Template;
  let config: Record<string, any>;
  beforeAll(() => {
    template = synth();
    config = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
  });
  const behavior = (pattern: string) => config.CacheBehaviors.find((b: any) => b.PathPattern === pattern);
  const originOf = (b: any) => config.Origins.find((o: any) => o.Id === b.TargetOriginId);

  it('routes /api/2/* to the HTTP API and /ws/2* to the WebSocket API, forwarding all but Host, caching nothing, HTTPS only', () => {
    for (const [pattern, api] of [
      ['/api/2/*', 'HttpApi'],
      ['/ws/2*', 'WebSocketApi'],
    ] as const) {
      const b = behavior(pattern);
      expect(b).toMatchObject({
        CachePolicyId: CACHING_DISABLED,
        OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
        ViewerProtocolPolicy: 'https-only',
        Compress: false,
      });
      const origin = originOf(b);
      expect(JSON.stringify(origin.DomainName)).toMatch(new RegExp(`${api}[A-Za-z0-9]*".*execute-api`));
      expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
      // CloudFront waits 30 s by default: past API Gateway's 30 s integration limit for HTTP, so that its answer (ours:
      // a 408 before it) reaches the client; the default for the WebSocket handshake.
      expect({ api, readTimeout: origin.CustomOriginConfig.OriginReadTimeout ?? 30 }).toEqual({ api, readTimeout: api === 'HttpApi' ? 35 : 30 });
    }
    expect(behavior('/api/2/*').AllowedMethods).toEqual(expect.arrayContaining(['POST', 'PUT', 'DELETE', 'GET']));
    expect(config.DefaultCacheBehavior).toMatchObject({ CachePolicyId: CACHING_DISABLED, ViewerProtocolPolicy: 'https-only' });
  });

  it('rewrites /ws/2 to the stage with a cloudfront-js-2.0 function on viewer requests', () => {
    const association = behavior('/ws/2*').FunctionAssociations[0];
    expect(association.EventType).toBe('viewer-request');
    const fn = template.findResources('AWS::CloudFront::Function')[association.FunctionARN['Fn::GetAtt'][0]]!;
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    expect(fn.Properties.FunctionCode).toContain("request.uri = '/ws';");
  });

  it('deploys the console files under console/ of that bucket, invalidates them, and serves them with a strict CSP', () => {
    const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    expect(deployments).toHaveLength(1);
    const props = deployments[0]!.Properties;
    expect(props.DestinationBucketKeyPrefix).toBe('console/');
    expect(JSON.stringify(props.DestinationBucketName)).toMatch(/FrontDoorConsole/);
    expect(props.DistributionPaths).toEqual(['/console*']);
    expect(props.Prune).toBe(true);
    // Its provider may write to the console bucket only.
    const writes = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('CustomCDKBucketDeployment'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((st) => ([] as string[]).concat(st.Action).some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete')));
    expect(writes.length).toBeGreaterThan(0);
    for (const st of writes) expect(JSON.stringify(st.Resource)).toMatch(/FrontDoorConsole/);
    const headers = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]!.Properties.ResponseHeadersPolicyConfig;
    expect(headers.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy).toMatch(/default-src 'none'; script-src 'self'/);
    expect(JSON.stringify(behavior('/console*'))).toContain('ResponseHeadersPolicyId');
  });

  it('serves /console* from a private S3 bucket through origin access control', () => {
    const origin = originOf(behavior('/console*'));
    expect(origin.OriginAccessControlId).toBeDefined();
    expect(origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ SigningBehavior: 'always', OriginAccessControlOriginType: 's3' }),
    });
  });

  it('outputs one base URL with /api/2 and /ws/2, and keeps the raw API Gateway URLs', () => {
    template.hasOutput('BaseUrl', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('Distribution'), 'DomainName'] }]] } });
    template.hasOutput('HttpUrl', {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('Distribution'), 'DomainName'] }, '/api/2']] },
    });
    template.hasOutput('WebSocketUrl', {
      Value: { 'Fn::Join': ['', ['wss://', { 'Fn::GetAtt': [Match.stringLikeRegexp('Distribution'), 'DomainName'] }, '/ws/2']] },
    });
    template.hasOutput('ApiGatewayHttpUrl', {});
    template.hasOutput('ApiGatewayWebSocketUrl', {});
  });

  it('has no WAF, custom domain or Cognito unless asked, and no distribution when turned off', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    expect(config.Aliases).toBeUndefined();
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    const off = synth({ frontDoor: false });
    off.resourceCountIs('AWS::CloudFront::Distribution', 0);
    off.hasOutput('WebSocketUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['wss://'])] } });
  });

  it('serves a custom domain with its us-east-1 certificate, TLS 1.2 (2021), and alias records in the hosted zone', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
    const custom = synth({ frontDoor: { domainName: 'things.example.com', certificateArn, hostedZone: { id: 'Z123', name: 'example.com' } } });
    custom.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['things.example.com'],
        ViewerCertificate: { AcmCertificateArn: certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
      }),
    });
    custom.resourceCountIs('AWS::Route53::RecordSet', 2);
    custom.hasOutput('WebSocketUrl', { Value: 'wss://things.example.com/ws/2' });
    expect(() => synth({ frontDoor: { domainName: 'things.example.com' } })).toThrow(/domainName and certificateArn go together/);
  });

  it("refuses front door options that cannot work: DNS records without a domain, two web ACLs, a rate limit under AWS WAF's minimum", () => {
    expect(() => synth({ frontDoor: { hostedZone: { id: 'Z123', name: 'example.org' } } })).toThrow(
      'hostedZone needs domainName: the alias records are for that name.',
    );
    expect(() => synth({ frontDoor: { wafRateLimit: 2000, webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1' } })).toThrow(
      'Give either wafRateLimit (a new web ACL) or webAclArn (an existing one), not both.',
    );
    for (const limit of [9, 10.5, 0, -10])
      expect(() => synth({ frontDoor: { wafRateLimit: limit } })).toThrow(
        `wafRateLimit must be an integer of at least 10 requests per 5 minutes (AWS WAF's minimum), got ${limit}.`,
      );
    // 10 passes that check and meets the next one (this stack is not in us-east-1).
    expect(() => synth({ frontDoor: { wafRateLimit: 10 } })).toThrow(/must be created in us-east-1/);
  });

  it('adds a WAF web ACL with a rate rule per client IP when asked, only in us-east-1', () => {
    const app = testApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new MessagingStack(app, 'Waf', {
      issuers: [ISSUER],
      env: { account: '123456789012', region: 'us-east-1' },
      frontDoor: { wafRateLimit: 2000 },
    });
    const waf = Template.fromStack(stack);
    waf.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      Rules: [
        Match.objectLike({ Action: { Block: {} }, Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } } }),
      ],
    });
    waf.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ WebACLId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } }),
    });
    expect(() => synth({ frontDoor: { wafRateLimit: 2000 } })).toThrow(/must be created in us-east-1/);
  });

  it('configures a Cognito user pool as an issuer with identity=cognito (ID tokens: audience = app client id)', () => {
    const withCognito = synth({ identity: 'cognito' });
    withCognito.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    withCognito.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_PASSWORD_AUTH']),
      GenerateSecret: false,
    });
    const http = Object.entries(withCognito.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('HttpApiHandler'))![1];
    // The JSON with the deploy-time ids as <LogicalId> placeholders.
    const parts = http.Properties.Environment.Variables.AUTH_ISSUERS['Fn::Join'][1] as (string | { Ref: string })[];
    const issuers = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : `<${p.Ref}>`)).join('')) as Record<string, string>[];
    expect(issuers[1]).toEqual({
      issuer: expect.stringMatching(/^https:\/\/cognito-idp\.eu-central-1\.amazonaws\.com\/<IdentityUsers[A-F0-9]+>$/),
      jwksUrl: expect.stringMatching(/<IdentityUsers[A-F0-9]+>\/\.well-known\/jwks\.json$/),
      prefix: 'cognito',
      claim: 'cognito:username',
      audience: expect.stringMatching(/^<IdentityUsersDevices[A-F0-9]+>$/), // the app client id: ID tokens carry it in aud
    });
    withCognito.hasOutput('UserPoolClientId', {});
  });
});

describe('When it comes to operating it', () => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  });
  const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties as Record<string, any>);

  it('has a dashboard with the router metrics beside Lambda, API Gateway, DynamoDB and SQS', () => {
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    for (const title of [
      'Messages and deliveries',
      'Failures',
      'Responses and timeouts',
      'Time to first delivery',
      'Lambda errors',
      'Lambda throttles',
      'Lambda duration p99',
      'Lambda concurrent executions',
      'HTTP API requests, 4xx, 5xx',
      'WebSocket connects',
      'DynamoDB throttle events',
      'DynamoDB latency',
      'Queue age',
    ]) {
      expect(body).toContain(title);
    }
    for (const metric of [
      'MessagesSent',
      'Deliveries',
      'FailedDeliveries',
      'ResponsesRouted',
      'Timeouts',
      'TimeToFirstDelivery',
      'ApproximateAgeOfOldestMessage',
      'ConnectCount',
      '5xx',
    ])
      expect(body).toContain(metric);
    expect(body).toContain('DittoLiveRouter');
  });

  it("alarms on dead letters (> 0), on each function's errors and throttles, on table throttles, failed deliveries and 5xx rates", () => {
    const all = alarms();
    const dlq = all.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlq.map((a) => [a.Threshold, a.ComparisonOperator])).toEqual([
      [1, 'GreaterThanOrEqualToThreshold'],
      [1, 'GreaterThanOrEqualToThreshold'],
      [1, 'GreaterThanOrEqualToThreshold'],
    ]);
    expect(all.filter((a) => a.MetricName === 'Errors' && a.Namespace === 'AWS/Lambda').map((a) => a.Threshold)).toEqual(Array(8).fill(5));
    // The authorizer throws to reject a token: its alarm counts only errors beyond rejected tokens.
    const authorizer = all.find((a) => JSON.stringify(a.Metrics ?? []).includes('errors - FILL(rejected, 0)'))!;
    expect(authorizer.Threshold).toBe(5);
    expect(JSON.stringify(authorizer.Metrics)).toContain('AuthenticationFailures');
    expect(all.filter((a) => a.MetricName === 'Throttles' && a.Namespace === 'AWS/Lambda').map((a) => a.Threshold)).toEqual(Array(9).fill(1));
    const expression = (needle: string) => all.find((a) => JSON.stringify(a.Metrics ?? []).includes(needle));
    const failed = expression('FailedDeliveries')!;
    expect(failed.Threshold).toBe(10);
    expect(JSON.stringify(failed.Metrics)).toContain('DittoLiveRouter');
    expect(
      failed.Metrics.filter((m: any) => m.MetricStat)
        .map((m: any) => m.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'handler').Value)
        .sort(),
    ).toEqual(['fanout', 'http-api', 'ws-default']);
    expect(expression('100 * errors / requests')!.Threshold).toBe(1);
    expect(expression('IntegrationError')!.Threshold).toBe(5);
    expect(all.filter((a) => JSON.stringify(a.Metrics ?? []).includes('WriteThrottleEvents'))).toHaveLength(6);
    for (const a of all) expect(a.TreatMissingData).toBe('notBreaching');
  });

  it('graphs each router metric from every handler that records it (the sum of their series)', () => {
    const joined = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    const body = joined.map((part) => (typeof part === 'string' ? part : '<token>')).join('');
    const graphed = (metric: string, handler: string, transport: string) =>
      body.includes(`"${metric}","handler","${handler}","service","ditto-live-router","transport","${transport}"`);
    const routing: [string, string][] = [
      ['http-api', 'http'],
      ['ws-default', 'websocket'],
    ];
    for (const [metric, sources] of [
      ['MessagesSent', routing],
      ['RecipientsPerMessage', routing],
      ['Deliveries', [...routing, ['fanout', 'queue']]],
      ['FanOutBatchesQueued', routing],
      ['TargetPushesQueued', routing],
      ['TargetDeliveries', [['target-push', 'queue']]],
      ['TargetFailures', [['target-push', 'queue']]],
      ['TargetLatency', [['target-push', 'queue']]],
    ] as [string, [string, string][]][]) {
      for (const [handler, transport] of sources) expect([metric, handler, graphed(metric, handler, transport)]).toEqual([metric, handler, true]);
    }
  });

  it("sums each table's read and write throttle events per 5 minutes, a side without data counted as 0", () => {
    const throttles = alarms().filter((a) => JSON.stringify(a.Metrics ?? []).includes('WriteThrottleEvents'));
    expect(throttles).toHaveLength(6);
    for (const a of throttles) {
      const stats = a.Metrics.filter((m: any) => m.MetricStat);
      const idOf = (name: string) => stats.find((m: any) => m.MetricStat.Metric.MetricName === name)?.Id;
      expect(a.Metrics.find((m: any) => m.Expression).Expression).toBe(`FILL(${idOf('ReadThrottleEvents')}, 0) + FILL(${idOf('WriteThrottleEvents')}, 0)`);
      expect(stats.map((m: any) => [m.MetricStat.Metric.Namespace, m.MetricStat.Stat, m.MetricStat.Period])).toEqual([
        ['AWS/DynamoDB', 'Sum', 300],
        ['AWS/DynamoDB', 'Sum', 300],
      ]);
    }
  });

  it('mails alarms only when alarmEmail is given', () => {
    expect(alarms().every((a) => a.AlarmActions === undefined)).toBe(true);
    const mailed = synth({ alarmEmail: 'oncall@example.com' });
    mailed.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    const actions = Object.values(mailed.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmActions);
    expect(actions.every((a) => Array.isArray(a) && a.length === 1)).toBe(true);
  });

  it('turns X-Ray active tracing on only when asked', () => {
    expect(Object.values(template.findResources('AWS::Lambda::Function')).every((f) => f.Properties.TracingConfig === undefined)).toBe(true);
    for (const fn of Object.values(handlerFunctions(synth({ tracing: true })))) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it("sets the handlers' log level and Powertools service name", () => {
    for (const fn of Object.values(handlerFunctions(template))) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_SERVICE_NAME: 'ditto-live-router' });
    }
  });
});

describe('When checked with cdk-nag AwsSolutionsChecks', () => {
  it.each([
    ['an environment-agnostic stack', undefined],
    ['a stack with account and region', { account: '123456789012', region: 'eu-central-1' }],
  ])('synthesizes %s with no unacknowledged finding (acknowledgements carry their reasons in code)', async (_name, env) => {
    const { AwsSolutionsChecks } = await import('cdk-nag');
    const { Validations } = await import('aws-cdk-lib');
    const app = testApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    new MessagingStack(app, 'NagStack', { issuers: [ISSUER], alarmEmail: 'oncall@example.com', tracing: true, identity: 'cognito', ...(env ? { env } : {}) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
