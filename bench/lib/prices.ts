/**
 * Public on-demand prices, US East (N. Virginia), as listed on the pages cited (checked 2026-11).
 * Free tiers are ignored; volume discounts above the first tier are ignored.
 */
/** https://aws.amazon.com/api-gateway/pricing/ — WebSocket APIs: messages (first 1 billion), metered in 32 KB increments. */
export const APIGW_WS_PER_MILLION_MESSAGES = 1.0;
/** https://aws.amazon.com/api-gateway/pricing/ — WebSocket APIs: connection minutes. */
export const APIGW_WS_PER_MILLION_CONNECTION_MINUTES = 0.25;
/** https://aws.amazon.com/api-gateway/pricing/ — HTTP APIs: requests (first 300 million), metered in 512 KB increments. */
export const APIGW_HTTP_PER_MILLION_REQUESTS = 1.0;
/** https://aws.amazon.com/lambda/pricing/ — Arm (Graviton2) duration per GB-second. */
export const LAMBDA_ARM_PER_GB_SECOND = 0.0000133334;
/** https://aws.amazon.com/lambda/pricing/ — requests. */
export const LAMBDA_PER_MILLION_REQUESTS = 0.2;
/** https://aws.amazon.com/dynamodb/pricing/on-demand/ — write request units. */
export const DYNAMODB_PER_MILLION_WRU = 0.625;
/** https://aws.amazon.com/dynamodb/pricing/on-demand/ — read request units. */
export const DYNAMODB_PER_MILLION_RRU = 0.125;
/** https://aws.amazon.com/sqs/pricing/ — standard queue requests. */
export const SQS_PER_MILLION_REQUESTS = 0.4;
export const PRICE_REGION = 'us-east-1';
