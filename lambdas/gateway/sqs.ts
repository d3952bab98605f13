/**
 * The SQS SDK and client shared by the timeout and fan-out queues, loaded on first use: only
 * invocations that queue something pay for it, not every cold start (~10 ms measured). Loaded
 * with a plain `require`, which resolves the same way in the CommonJS Lambda bundle (the SDK is
 * external there, provided by the runtime), under tsx and under jest; a dynamic `import()` of an
 * external module resolves differently in each.
 */
type SqsSdk = typeof import('@aws-sdk/client-sqs');

let loaded: { sdk: SqsSdk; client: InstanceType<SqsSdk['SQSClient']> } | undefined;

export function sqs(): { sdk: SqsSdk; client: InstanceType<SqsSdk['SQSClient']> } {
  if (!loaded) {
    const sdk = require('@aws-sdk/client-sqs') as SqsSdk;
    loaded = { sdk, client: new sdk.SQSClient({}) };
  }
  return loaded;
}

/**
 * SQS accepts only XML characters: JSON.stringify escapes control characters and lone surrogates,
 * but leaves U+FFFE and U+FFFF as they are. Escaped here, the body stays the same JSON.
 */
export const sqsSafe = (json: string): string => json.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
