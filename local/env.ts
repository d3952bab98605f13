/**
 * Environment of the local runtime, set before any handler module loads (import this first):
 * Powertools in dev mode prints indented, readable log lines and no EMF metric blobs (set
 * POWERTOOLS_METRICS_DISABLED=false to see those too).
 */
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.VERBOSE === '1' ? 'DEBUG' : 'INFO';
