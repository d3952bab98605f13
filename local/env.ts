import { installInvokeStore } from './invoke-store';

/**
 * Environment of the local runtime, set before any handler module loads (import this first):
 * Powertools in dev mode prints indented, readable log lines and no EMF metric blobs (set
 * POWERTOOLS_METRICS_DISABLED=false to see those too).
 */
process.env.POWERTOOLS_DEV ??= 'true';
// Concurrent invocations in one process, as Lambda's multi-concurrency: read by the AWS SDK and Powertools
// when they first look for the InvokeStore, so it must be set before anything sends a request.
process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '256';
installInvokeStore();
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.VERBOSE === '1' ? 'DEBUG' : 'INFO';
