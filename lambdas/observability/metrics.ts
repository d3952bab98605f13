/**
 * The router's metrics, in CloudWatch embedded metric format through Powertools Metrics:
 * one namespace; dimensions `service`, `handler` and `transport` only (never a thing or connection,
 * which would explode cardinality).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS, METRICS_NAMESPACE, type MetricName, SERVICE_NAME } from './names';

const UNITS = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds } as const;

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

export function record(metric: MetricName, value = 1): void {
  metrics.addMetric(metric, UNITS[METRICS[metric]], value);
}
