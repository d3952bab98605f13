/**
 * What a person on call needs: one CloudWatch dashboard (the router's own metrics beside Lambda,
 * API Gateway, DynamoDB and SQS) and alarms on what needs a person, optionally mailed through SNS.
 * Thresholds live in ALARM_THRESHOLDS, the one place to tune them.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type MetricName, SERVICE_NAME } from '../lambdas/observability/names';

/** Alarm thresholds, each over a 5-minute period unless said otherwise. */
export const ALARM_THRESHOLDS = {
  /** Messages parked in a dead-letter queue: any is worth a look. */
  deadLetters: 1,
  /** Errors of one function (unhandled: every Ditto error is a handled response). */
  functionErrors: 5,
  /** Throttled invocations of one function, or throttled DynamoDB requests of one table. */
  throttles: 1,
  /** Deliveries that still failed after retries, all handlers together. */
  failedDeliveries: 10,
  /** HTTP API 5xx in percent of requests (evaluated only with at least 20 requests). */
  http5xxPercent: 1,
  /** WebSocket integration/execution errors. */
  webSocketErrors: 5,
} as const;

const PERIOD = Duration.minutes(5);

/** Read and write throttle events of a table (table-level metrics: an alarm may use at most 10). */
const tableThrottles = (table: dynamodb.ITable, label: string): cloudwatch.IMetric =>
  new cloudwatch.MathExpression({
    expression: `FILL(reads_${label}, 0) + FILL(writes_${label}, 0)`,
    usingMetrics: {
      [`reads_${label}`]: table.metric('ReadThrottleEvents', { statistic: 'Sum', period: PERIOD }),
      [`writes_${label}`]: table.metric('WriteThrottleEvents', { statistic: 'Sum', period: PERIOD }),
    },
    label,
    period: PERIOD,
  });

/** Which handlers emit each router metric, with their `transport` dimension (see lambdas/observability). */
const SOURCES: Record<MetricName, readonly [handler: string, transport: string][]> = {
  MessagesSent: [
    ['http-api', 'http'],
    ['ws-default', 'websocket'],
  ],
  RecipientsPerMessage: [
    ['http-api', 'http'],
    ['ws-default', 'websocket'],
  ],
  TimeToFirstDelivery: [
    ['http-api', 'http'],
    ['ws-default', 'websocket'],
  ],
  Deliveries: [
    ['http-api', 'http'],
    ['ws-default', 'websocket'],
    ['fanout', 'queue'],
  ],
  FailedDeliveries: [
    ['http-api', 'http'],
    ['ws-default', 'websocket'],
    ['fanout', 'queue'],
  ],
  GoneConnections: [
    ['http-api', 'http'],
    ['ws-default', 'websocket'],
    ['fanout', 'queue'],
  ],
  ExpiredConnectionsClosed: [
    ['http-api', 'http'],
    ['ws-default', 'websocket'],
    ['fanout', 'queue'],
    ['token-sweep', 'schedule'],
  ],
  ResponsesRouted: [
    ['ws-default', 'websocket'],
    ['target-push', 'queue'],
  ],
  ResponsesDropped: [
    ['ws-default', 'websocket'],
    ['target-push', 'queue'],
  ],
  Timeouts: [
    ['http-api', 'http'],
    ['ws-timeout', 'queue'],
  ],
  AuthenticationFailures: [
    ['http-api', 'http'],
    ['ws-authorizer', 'websocket'],
    ['ws-default', 'websocket'],
  ],
  SendsNotAllowed: [
    ['http-api', 'http'],
    ['ws-default', 'websocket'],
  ],
  FanOutBatchesQueued: [
    ['http-api', 'http'],
    ['ws-default', 'websocket'],
  ],
  TargetPushesQueued: [
    ['http-api', 'http'],
    ['ws-default', 'websocket'],
  ],
  TargetDeliveries: [['target-push', 'queue']],
  TargetFailures: [['target-push', 'queue']],
  TargetLatency: [['target-push', 'queue']],
};

export function routerMetric(name: MetricName, handler: string, transport: string, statistic = 'Sum'): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME, handler, transport },
    statistic,
    period: PERIOD,
  });
}

/** One router metric summed over every handler that emits it (an expression alarms can use). */
export function routerTotal(name: MetricName): cloudwatch.IMetric {
  const sources = SOURCES[name];
  // Ids unique per metric name: several totals share one graph.
  const id = `${name.charAt(0).toLowerCase()}${name.slice(1)}`;
  const usingMetrics = Object.fromEntries(sources.map(([handler, transport], i) => [`${id}${i}`, routerMetric(name, handler, transport)]));
  // Metrics are emitted only when non-zero: FILL(…, 0) so one silent source does not blank the sum.
  return new cloudwatch.MathExpression({
    expression: Object.keys(usingMetrics)
      .map((m) => `FILL(${m}, 0)`)
      .join(' + '),
    usingMetrics,
    label: name,
    period: PERIOD,
  });
}

export interface OperationsProps {
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly httpApiId: string;
  readonly webSocketApiId: string;
  readonly webSocketStage: string;
  readonly tables: Readonly<Record<string, dynamodb.ITable>>;
  readonly queues: Readonly<Record<string, sqs.IQueue>>;
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Mail alarms to this address (an SNS topic with an e-mail subscription). @default no notification */
  readonly alarmEmail?: string;
}

export class Operations extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly topic?: sns.Topic;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    if (props.alarmEmail) {
      this.topic = new sns.Topic(this, 'Alarms', { displayName: 'Ditto live router alarms', enforceSSL: true, masterKey: undefined });
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(...this.routerWidgets());
    this.dashboard.addWidgets(...this.lambdaWidgets(props.functions));
    this.dashboard.addWidgets(...this.apiWidgets(props));
    this.dashboard.addWidgets(...this.dataWidgets(props));
    this.createAlarms(props);
  }

  private routerWidgets(): cloudwatch.IWidget[] {
    const totals = (names: MetricName[]) => names.map((n) => routerTotal(n));
    const byTransport = (name: MetricName, statistic: string, label: string) =>
      SOURCES[name].map(([handler, transport]) => routerMetric(name, handler, transport, statistic).with({ label: `${label} ${transport}` }));
    return [
      new cloudwatch.GraphWidget({ title: 'Messages and deliveries', width: 8, left: totals(['MessagesSent', 'Deliveries', 'FanOutBatchesQueued']) }),
      new cloudwatch.GraphWidget({
        title: 'Failures',
        width: 8,
        left: totals(['FailedDeliveries', 'GoneConnections', 'ExpiredConnectionsClosed', 'AuthenticationFailures', 'SendsNotAllowed']),
      }),
      new cloudwatch.GraphWidget({ title: 'Responses and timeouts', width: 8, left: totals(['ResponsesRouted', 'ResponsesDropped', 'Timeouts']) }),
      new cloudwatch.GraphWidget({
        title: 'Time to first delivery (ms)',
        width: 12,
        left: [...byTransport('TimeToFirstDelivery', 'p50', 'p50'), ...byTransport('TimeToFirstDelivery', 'p99', 'p99')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Connection targets: pushes, failures',
        width: 12,
        left: totals(['TargetPushesQueued', 'TargetDeliveries', 'TargetFailures']),
      }),
      new cloudwatch.GraphWidget({
        title: 'Connection target latency (ms)',
        width: 12,
        left: [...byTransport('TargetLatency', 'p50', 'p50'), ...byTransport('TargetLatency', 'p99', 'p99')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Recipients per message',
        width: 12,
        left: [...byTransport('RecipientsPerMessage', 'Average', 'avg'), ...byTransport('RecipientsPerMessage', 'p99', 'p99')],
      }),
    ];
  }

  private lambdaWidgets(functions: Readonly<Record<string, lambda.IFunction>>): cloudwatch.IWidget[] {
    const each = (metric: (fn: lambda.IFunction) => cloudwatch.Metric) =>
      Object.entries(functions).map(([name, fn]) => metric(fn).with({ label: name, period: PERIOD }));
    return [
      new cloudwatch.GraphWidget({ title: 'Lambda errors', width: 6, left: each((fn) => fn.metricErrors()) }),
      new cloudwatch.GraphWidget({ title: 'Lambda throttles', width: 6, left: each((fn) => fn.metricThrottles()) }),
      new cloudwatch.GraphWidget({ title: 'Lambda duration p99 (ms)', width: 6, left: each((fn) => fn.metricDuration({ statistic: 'p99' })) }),
      new cloudwatch.GraphWidget({
        title: 'Lambda concurrent executions',
        width: 6,
        left: each((fn) => fn.metric('ConcurrentExecutions', { statistic: 'Maximum' })),
      }),
    ];
  }

  private apiWidgets(props: OperationsProps): cloudwatch.IWidget[] {
    const http = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap: { ApiId: props.httpApiId }, statistic, period: PERIOD });
    const ws = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.webSocketApiId, Stage: props.webSocketStage },
        statistic,
        period: PERIOD,
      });
    return [
      new cloudwatch.GraphWidget({ title: 'HTTP API requests, 4xx, 5xx', width: 8, left: [http('Count'), http('4xx'), http('5xx')] }),
      new cloudwatch.GraphWidget({ title: 'HTTP API latency p99 (ms)', width: 8, left: [http('Latency', 'p99'), http('IntegrationLatency', 'p99')] }),
      new cloudwatch.GraphWidget({
        title: 'WebSocket connects, messages, errors',
        width: 8,
        left: [ws('ConnectCount'), ws('MessageCount')],
        right: [ws('ClientError'), ws('IntegrationError'), ws('ExecutionError')],
      }),
    ];
  }

  private dataWidgets(props: OperationsProps): cloudwatch.IWidget[] {
    const tables = Object.entries(props.tables);
    return [
      new cloudwatch.GraphWidget({
        title: 'DynamoDB throttle events',
        width: 8,
        left: tables.map(([name, t]) => tableThrottles(t, name)),
      }),
      new cloudwatch.GraphWidget({
        title: 'DynamoDB latency (ms): GetItem, Query, PutItem',
        width: 8,
        left: tables.flatMap(([name, t]) =>
          ['GetItem', 'Query', 'PutItem'].map((op) =>
            t.metricSuccessfulRequestLatency({ dimensionsMap: { TableName: t.tableName, Operation: op }, period: PERIOD }).with({ label: `${name} ${op}` }),
          ),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Queue age (s) and dead letters',
        width: 8,
        left: Object.entries(props.queues).map(([name, q]) => q.metricApproximateAgeOfOldestMessage({ period: PERIOD }).with({ label: `${name} oldest` })),
        right: Object.entries(props.deadLetterQueues).map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }).with({ label: `${name} DLQ` }),
        ),
      }),
    ];
  }

  private alarm(id: string, description: string, metric: cloudwatch.IMetric, threshold: number): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this.topic) alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }

  private createAlarms(props: OperationsProps): void {
    const t = ALARM_THRESHOLDS;
    for (const [name, q] of Object.entries(props.deadLetterQueues)) {
      this.alarm(
        `${name}DeadLetters`,
        `Messages in the ${name} dead-letter queue: a batch failed repeatedly (see README, Operations).`,
        q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        t.deadLetters,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      // The authorizer rejects a bad token by throwing ("Unauthorized" is how API Gateway learns 401): those are not failures.
      const errors =
        name === 'WsAuthorizer'
          ? new cloudwatch.MathExpression({
              expression: 'errors - FILL(rejected, 0)',
              usingMetrics: { errors: fn.metricErrors({ period: PERIOD }), rejected: routerMetric('AuthenticationFailures', 'ws-authorizer', 'websocket') },
              label: 'WsAuthorizer errors other than rejected tokens',
              period: PERIOD,
            })
          : fn.metricErrors({ period: PERIOD });
      this.alarm(`${name}Errors`, `${name} failed with unhandled errors.`, errors, t.functionErrors);
      this.alarm(`${name}Throttles`, `${name} was throttled (account or reserved concurrency).`, fn.metricThrottles({ period: PERIOD }), t.throttles);
    }
    for (const [name, table] of Object.entries(props.tables)) {
      this.alarm(`${name}TableThrottles`, `Requests to the ${name} table were throttled.`, tableThrottles(table, name), t.throttles);
    }
    this.alarm('FailedDeliveries', 'Deliveries failed after retries (throttled @connections or errors).', routerTotal('FailedDeliveries'), t.failedDeliveries);
    const http = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap: { ApiId: props.httpApiId }, statistic: 'Sum', period: PERIOD });
    this.alarm(
      'Http5xxRate',
      'More than 1% of HTTP API requests ended in 5xx.',
      new cloudwatch.MathExpression({
        expression: 'IF(requests >= 20, 100 * errors / requests, 0)',
        usingMetrics: { errors: http('5xx'), requests: http('Count') },
        label: '5xx %',
        period: PERIOD,
      }),
      t.http5xxPercent,
    );
    const ws = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.webSocketApiId, Stage: props.webSocketStage },
        statistic: 'Sum',
        period: PERIOD,
      });
    this.alarm(
      'WebSocketErrors',
      'WebSocket integration or execution errors.',
      new cloudwatch.MathExpression({
        expression: 'FILL(integration, 0) + FILL(execution, 0)',
        usingMetrics: { integration: ws('IntegrationError'), execution: ws('ExecutionError') },
        label: 'WebSocket errors',
        period: PERIOD,
      }),
      t.webSocketErrors,
    );
  }
}
