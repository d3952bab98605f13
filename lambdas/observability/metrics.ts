/**
 * The router's metrics (SPEC 11), in CloudWatch embedded metric format through Powertools Metrics:
 * one namespace; dimensions `service`, `handler` and `transport` only (never a thing or connection,
 * which would explode cardinality).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SERVICE_NAME } from './logger';

export const METRICS_NAMESPACE = 'DittoLiveRouter';

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** Every metric the router emits, with its unit: the dashboard and alarms use these names. */
export const Metric = {
  MessagesSent: { name: 'MessagesSent', unit: MetricUnit.Count },
  Deliveries: { name: 'Deliveries', unit: MetricUnit.Count },
  FailedDeliveries: { name: 'FailedDeliveries', unit: MetricUnit.Count },
  GoneConnections: { name: 'GoneConnections', unit: MetricUnit.Count },
  ExpiredConnectionsClosed: { name: 'ExpiredConnectionsClosed', unit: MetricUnit.Count },
  ResponsesRouted: { name: 'ResponsesRouted', unit: MetricUnit.Count },
  ResponsesDropped: { name: 'ResponsesDropped', unit: MetricUnit.Count },
  Timeouts: { name: 'Timeouts', unit: MetricUnit.Count },
  AuthenticationFailures: { name: 'AuthenticationFailures', unit: MetricUnit.Count },
  SendsNotAllowed: { name: 'SendsNotAllowed', unit: MetricUnit.Count },
  FanOutBatchesQueued: { name: 'FanOutBatchesQueued', unit: MetricUnit.Count },
  RecipientsPerMessage: { name: 'RecipientsPerMessage', unit: MetricUnit.Count },
  TimeToFirstDelivery: { name: 'TimeToFirstDelivery', unit: MetricUnit.Milliseconds },
} as const;

export type MetricName = keyof typeof Metric;

export function record(metric: MetricName, value = 1): void {
  const { name, unit } = Metric[metric];
  metrics.addMetric(name, unit, value);
}
