/**
 * Ditto's placeholders in target addresses and header mappings (`{{ thing:id }}`), checked when a
 * connection is saved and resolved per message. An address whose placeholder cannot be resolved
 * drops the message for that target; a header whose placeholder cannot be resolved is left out.
 */
import { ConnectionConfigurationInvalidError } from '../errors';

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Placeholders by name; `header:<name>` is resolved from the message headers. */
const NAMES = new Set([
  'thing:id',
  'thing:namespace',
  'thing:name',
  'entity:id',
  'entity:namespace',
  'entity:name',
  'feature:id',
  'topic:full',
  'topic:namespace',
  'topic:entityName',
  'topic:group',
  'topic:channel',
  'topic:criterion',
  'topic:action',
  'topic:subject',
]);

export interface PlaceholderSource {
  readonly thingId: string;
  readonly namespace: string;
  readonly name: string;
  readonly featureId?: string;
  readonly topic: string;
  readonly subject: string;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** Refuses unknown placeholders and Ditto's pipeline functions (`| fn:...`), which are not supported. */
export function checkPlaceholders(template: string, where: string, allowHeaders: boolean): void {
  const open = template.split('{{').length - 1;
  const matches = [...template.matchAll(PLACEHOLDER)];
  if (matches.length !== open) throw new ConnectionConfigurationInvalidError(`${where}: an unclosed '{{' in '${template.slice(0, 100)}'.`);
  for (const [, expression] of matches) {
    const name = expression!;
    if (name.includes('|')) throw new ConnectionConfigurationInvalidError(`${where}: placeholder functions ('${name.slice(0, 60)}') are not supported.`);
    const known = NAMES.has(name) || (allowHeaders && name.startsWith('header:') && name.length > 'header:'.length);
    if (!known) throw new ConnectionConfigurationInvalidError(`${where}: the placeholder '{{ ${name.slice(0, 60)} }}' is not supported.`);
  }
}

function placeholderValue(name: string, s: PlaceholderSource): string | undefined {
  if (name.startsWith('header:')) {
    const value = s.headers[name.slice('header:'.length).toLowerCase()];
    return value == null ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
  }
  // `{namespace}/{name}/things/live/messages/{subject}`: messages have a subject, no action.
  const [, , group, channel, criterion] = s.topic.split('/');
  switch (name) {
    case 'thing:id':
    case 'entity:id':
      return s.thingId;
    case 'thing:namespace':
    case 'entity:namespace':
    case 'topic:namespace':
      return s.namespace;
    case 'thing:name':
    case 'entity:name':
    case 'topic:entityName':
      return s.name;
    case 'feature:id':
      return s.featureId;
    case 'topic:full':
      return s.topic;
    case 'topic:group':
      return group;
    case 'topic:channel':
      return channel;
    case 'topic:criterion':
      return criterion;
    case 'topic:subject':
      return s.subject;
    default:
      return undefined;
  }
}

/** Resolves every placeholder, or undefined when one cannot be; `encode` escapes values for a URL path. */
export function resolvePlaceholders(template: string, source: PlaceholderSource, encode?: (value: string) => string): string | undefined {
  let unresolved = false;
  const out = template.replace(PLACEHOLDER, (_m, name: string) => {
    const value = placeholderValue(name, source);
    if (value === undefined) {
      unresolved = true;
      // Stryker disable next-line StringLiteral: the output is discarded once a placeholder is unresolved
      return '';
    }
    return encode ? encode(value) : value;
  });
  return unresolved ? undefined : out;
}

/** Path segments keep ':' readable (thing ids) but cannot smuggle '/', '?' or '#' into the URL. */
export const encodePathValue = (value: string): string => encodeURIComponent(value).replace(/%3A/gi, ':');

/**
 * A resolved path may not hold a `.` or `..` segment (URL parsers remove them, `%2E` spellings
 * included): a thing named `..` would otherwise move the request elsewhere on the endpoint.
 */
export function hasDotSegment(path: string): boolean {
  const pathOnly = path.split(/[?#]/)[0]!;
  return pathOnly.split('/').some((segment) => {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // not decodable: not a dot segment either
    }
    return decoded === '.' || decoded === '..';
  });
}
