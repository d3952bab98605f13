/** Names shared by the handlers (which emit) and the stack (dashboard, alarms): no library imports. */
export const SERVICE_NAME = 'ditto-live-router';
export const METRICS_NAMESPACE = 'DittoLiveRouter';

/** Every metric the router emits, with its CloudWatch unit. */
export const METRICS = {
  MessagesSent: 'Count',
  Deliveries: 'Count',
  FailedDeliveries: 'Count',
  GoneConnections: 'Count',
  ExpiredConnectionsClosed: 'Count',
  ResponsesRouted: 'Count',
  ResponsesDropped: 'Count',
  Timeouts: 'Count',
  AuthenticationFailures: 'Count',
  SendsNotAllowed: 'Count',
  FanOutBatchesQueued: 'Count',
  RecipientsPerMessage: 'Count',
  TimeToFirstDelivery: 'Milliseconds',
  TargetPushesQueued: 'Count',
  TargetDeliveries: 'Count',
  TargetFailures: 'Count',
  TargetLatency: 'Milliseconds',
} as const;

export type MetricName = keyof typeof METRICS;
