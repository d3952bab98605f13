/** Named Ditto Protocol vocabulary. */
export const GROUP_THINGS = 'things';
export const CHANNEL_LIVE = 'live';
export const CRITERION_MESSAGES = 'messages';
export const CRITERION_ERRORS = 'errors';
export const INBOX = 'inbox';
export const OUTBOX = 'outbox';
export const CLAIM_SUBJECT = 'claim';

export const Header = {
  CORRELATION_ID: 'correlation-id',
  CONTENT_TYPE: 'content-type',
  TIMEOUT: 'timeout',
  RESPONSE_REQUIRED: 'response-required',
  VERSION: 'version',
  FEATURE_ID: 'feature-id',
  ORIGINATOR: 'ditto-originator',
  TIMEOUT_CAPPED: 'ditto-timeout-capped',
} as const;

export type Direction = typeof INBOX | typeof OUTBOX;
