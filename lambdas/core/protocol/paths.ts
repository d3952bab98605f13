/** Topics and message paths: tiny pure builders and parsers, tested with exact strings. */
import { MessageFormatInvalidError, NotImplementedError, SubjectInvalidError } from '../errors';
import { parseThingId } from '../ids';
import { CHANNEL_LIVE, CRITERION_ERRORS, CRITERION_MESSAGES, type Direction, GROUP_THINGS, INBOX, OUTBOX } from './vocabulary';

export interface MessageAddress {
  readonly direction: Direction;
  readonly subject: string;
  readonly featureId?: string;
}

export interface MessageTopic {
  readonly thingId: string;
  readonly namespace: string;
  readonly name: string;
  readonly subject: string;
}

export function checkSubject(subject: string): string {
  if (subject.length === 0 || /^\/+$/.test(subject)) throw new SubjectInvalidError(subject);
  return subject;
}

export function buildMessageTopic(thingId: string, subject: string): string {
  const { namespace, name } = splitThingId(thingId);
  return `${namespace}/${name}/${GROUP_THINGS}/${CHANNEL_LIVE}/${CRITERION_MESSAGES}/${subject}`;
}

export function buildErrorTopic(thingId?: string): string {
  if (thingId === undefined) return `_/_/${GROUP_THINGS}/${CHANNEL_LIVE}/${CRITERION_ERRORS}`;
  const { namespace, name } = splitThingId(thingId);
  return `${namespace}/${name}/${GROUP_THINGS}/${CHANNEL_LIVE}/${CRITERION_ERRORS}`;
}

export function buildMessagePath({ direction, subject, featureId }: MessageAddress): string {
  const prefix = featureId !== undefined ? `/features/${featureId}` : '';
  return `${prefix}/${direction}/messages/${subject}`;
}

function splitThingId(thingId: string): { namespace: string; name: string } {
  const colon = thingId.indexOf(':');
  return { namespace: thingId.slice(0, colon), name: thingId.slice(colon + 1) };
}

const LIVE_UNSUPPORTED = new Set(['commands', 'events']);

/** Parses `{ns}/{name}/things/live/messages/{subject}`; the subject may contain '/'. */
export function parseMessageTopic(topic: string): MessageTopic {
  const parts = topic.split('/');
  if (parts.length < 5)
    throw new MessageFormatInvalidError(
      `The topic '${topic.slice(0, 200)}' is not a Ditto Protocol topic: '{namespace}/{name}/things/live/messages/{subject}'.`,
    );
  const [namespace, name, group, channel, criterion] = parts as [string, string, string, string, string];
  if (group !== GROUP_THINGS) {
    if (group === 'policies' || group === 'connections') throw new NotImplementedError(`${group} topics`);
    throw new MessageFormatInvalidError(`Unknown topic group '${group.slice(0, 100)}': only 'things' is supported.`);
  }
  if (channel !== CHANNEL_LIVE) {
    if (channel === 'twin') throw new NotImplementedError('the twin channel');
    throw new MessageFormatInvalidError(`Unknown channel '${channel.slice(0, 100)}': use 'live'.`);
  }
  if (criterion !== CRITERION_MESSAGES) {
    if (LIVE_UNSUPPORTED.has(criterion) || criterion === 'search') throw new NotImplementedError(`live ${criterion}`);
    throw new MessageFormatInvalidError(`Unknown criterion '${criterion.slice(0, 100)}': use 'messages'.`);
  }
  const thingId = `${namespace}:${name}`;
  parseThingId(thingId);
  const subject = checkSubject(parts.slice(5).join('/'));
  return { thingId, namespace, name, subject };
}

/**
 * Parses a message path: `[/features/{fid}]/{inbox|outbox}/messages/{subject}`.
 * `/inbox/claim` is accepted as the claim message's path (the HTTP route's shape).
 */
export function parseMessagePath(path: string): MessageAddress {
  let rest = path;
  let featureId: string | undefined;
  if (rest.startsWith('/features/')) {
    const end = rest.indexOf('/', '/features/'.length);
    if (end === -1) throw new MessageFormatInvalidError(`The path '${path.slice(0, 200)}' is not a message path.`);
    featureId = rest.slice('/features/'.length, end);
    if (featureId.length === 0) throw new MessageFormatInvalidError('The feature id in the message path must not be empty.');
    rest = rest.slice(end);
  }
  if (featureId === undefined && rest === `/${INBOX}/claim`) return { direction: INBOX, subject: 'claim' };
  const match = /^\/(inbox|outbox)\/messages\/(.*)/s.exec(rest);
  if (!match)
    throw new MessageFormatInvalidError(`The path '${path.slice(0, 200)}' is not a message path: '[/features/{featureId}]/{inbox|outbox}/messages/{subject}'.`);
  const direction = match[1] === INBOX ? INBOX : OUTBOX;
  return { direction, subject: checkSubject(match[2]!), ...(featureId !== undefined ? { featureId } : {}) };
}

export const messageResource = (path: string): string => `message:${path}`;
