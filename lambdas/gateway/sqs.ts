/**
 * The SQS SDK and client shared by the timeout and fan-out queues, loaded on first use: only AWS
 * invocations that queue something pay for it, not every cold start (~10 ms measured).
 */
type SqsSdk = typeof import('@aws-sdk/client-sqs');

let loaded: Promise<{ sdk: SqsSdk; client: InstanceType<SqsSdk['SQSClient']> }> | undefined;

export const sqs = () => (loaded ??= import('@aws-sdk/client-sqs').then((sdk) => ({ sdk, client: new sdk.SQSClient({}) })));
