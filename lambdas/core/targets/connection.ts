/**
 * Ditto's connection JSON, the `http-push` subset this router honours: validated once when saved
 * (so delivery never meets a half-valid connection) and compiled into what delivery needs.
 * Fields we cannot honour are refused with 400, never stored and silently ignored.
 */
import { isRecord } from '../collections';
import { ConnectionConfigurationInvalidError, ConnectionIdNotSettableError, ConnectionUriInvalidError } from '../errors';
import { isNamespace } from '../ids';
import { parseRql } from '../messages';
import { checkPlaceholders } from './placeholders';

export const HTTP_PUSH = 'http-push';
export const LIVE_MESSAGES_TOPIC = '_/_/things/live/messages';
export const LIVE_RESPONSE = 'live-response';
/** What Ditto shows instead of a password. */
export const PASSWORD_MASK = '*****';

/** Ditto's target topics: accepted as written; only live messages exist in this router. */
const KNOWN_TOPICS = new Set([
  '_/_/things/twin/events',
  '_/_/things/live/events',
  '_/_/things/live/commands',
  LIVE_MESSAGES_TOPIC,
  '_/_/policies/announcements',
  '_/_/connections/announcements',
]);
const HTTP_VERBS = new Set(['POST', 'PUT', 'PATCH', 'GET', 'DELETE']);
const CONNECTION_STATUSES = ['open', 'closed', 'unknown'];
/** Ditto's default `omitRequestBody`: these verbs are sent without the envelope. */
const OMIT_BODY_DEFAULT: readonly HttpVerb[] = ['GET', 'DELETE'];
/** Fields of Ditto's connection JSON that are stored and shown, with no effect on routing here. */
const INERT_FIELDS = new Set(['name', 'clientCount', 'failoverEnabled', 'processorPoolSize', 'tags']);
const CONNECTION_FIELDS = new Set([
  'id',
  'connectionType',
  'connectionStatus',
  'uri',
  'sources',
  'targets',
  'specificConfig',
  'validateCertificates',
  'mappingDefinitions',
  ...INERT_FIELDS,
]);
const TARGET_FIELDS = new Set(['address', 'topics', 'authorizationContext', 'headerMapping', 'issuedAcknowledgementLabel', 'payloadMapping']);
const ID = /^[A-Za-z0-9_.:@-]{1,100}$/;
export const MAX_TARGETS = 20;
export const MAX_CONNECTION_CHARS = 32 * 1024;
const MAX_PARALLELISM = 64;

export type HttpVerb = 'POST' | 'PUT' | 'PATCH' | 'GET' | 'DELETE';

export interface CompiledTarget {
  readonly method: HttpVerb;
  /** Path (and query) template after the verb, placeholders unresolved. */
  readonly pathTemplate: string;
  readonly authorizationContext: readonly string[];
  /** Present when the target takes live messages; their namespaces and filter. */
  readonly liveMessages?: { readonly namespaces?: readonly string[]; readonly filter?: string };
  readonly headerMapping: Readonly<Record<string, string>>;
  /** The endpoint's HTTP response answers the message (Ditto's `live-response` acknowledgement). */
  readonly liveResponse: boolean;
}

export interface CompiledConnection {
  readonly id: string;
  readonly open: boolean;
  /** Base URL without credentials. */
  readonly baseUrl: string;
  /** `user:password` from the uri, sent as HTTP Basic. */
  readonly basicAuth?: string;
  readonly validateCertificates: boolean;
  readonly parallelism: number;
  /** Verbs sent without a body (`specificConfig.omitRequestBody`). */
  readonly omitRequestBody: readonly HttpVerb[];
  readonly targets: readonly CompiledTarget[];
}

export type ConnectionDocument = Readonly<Record<string, unknown>>;

const invalid = (description: string): never => {
  throw new ConnectionConfigurationInvalidError(description);
};

export const isConnectionId = (id: string): boolean => ID.test(id);

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((s) => typeof s === 'string' && s.trim().length > 0)) {
    return invalid(`'${what}' must be a non-empty array of non-empty strings.`);
  }
  return value as string[];
}

/** Ditto's accepted uri: scheme, optional credentials, host and an explicit port, optional path; no query. */
const URI = /^(https?):\/\/(?:[^@/?#\\]*@)?(\[[0-9a-fA-F:.]+\]|[^:/?#@[\]\\]+):(\d{1,5})(?:\/[^?#\\]*)?$/;

function parseUri(raw: unknown): { baseUrl: string; basicAuth: string | undefined } {
  if (typeof raw !== 'string') throw new ConnectionUriInvalidError(String(raw));
  const match = URI.exec(raw);
  // Ports over 65535 are refused by the URL parser below, with the same error.
  if (!match || Number(match[3]) < 1) throw new ConnectionUriInvalidError(maskPassword(raw));
  let url: URL;
  let basicAuth: string | undefined;
  try {
    url = new URL(raw);
    basicAuth = url.username !== '' ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  } catch {
    throw new ConnectionUriInvalidError(maskPassword(raw));
  }
  // What we checked is what a request would reach: the parser's host and port are the pattern's.
  if (url.hostname.toLowerCase() !== match[2]!.toLowerCase() && url.hostname !== new URL(`http://${match[2]}`).hostname) {
    throw new ConnectionUriInvalidError(maskPassword(raw));
  }
  if ((url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port) !== String(Number(match[3])))
    throw new ConnectionUriInvalidError(maskPassword(raw));
  url.username = '';
  url.password = '';
  return { baseUrl: url.toString().replace(/\/$/, ''), basicAuth };
}

/** `_/_/things/live/messages?namespaces=a,b&filter=eq(...)`: the options Ditto allows on a target topic. */
function parseTopic(raw: string): { topic: string; namespaces?: string[]; filter?: string } {
  const q = raw.indexOf('?');
  const topic = q < 0 ? raw : raw.slice(0, q);
  if (!KNOWN_TOPICS.has(topic)) return invalid(`The topic '${topic.slice(0, 100)}' is not one of Ditto's topics (${[...KNOWN_TOPICS].join(', ')}).`);
  if (q < 0) return { topic };
  let namespaces: string[] | undefined;
  let filter: string | undefined;
  for (const [name, value] of new URLSearchParams(raw.slice(q + 1))) {
    if (name === 'namespaces') {
      namespaces = value.split(',').filter((n) => n !== '');
      for (const ns of namespaces) if (!isNamespace(ns)) invalid(`'${ns.slice(0, 100)}' in the topic '${topic}' is not a valid namespace.`);
    } else if (name === 'filter') {
      try {
        parseRql(value);
      } catch (e) {
        invalid(`The filter of the topic '${topic}' is not valid RQL: ${(e as { description?: string }).description ?? (e as Error).message}`);
      }
      filter = value;
    } else {
      invalid(`The topic option '${name.slice(0, 50)}' is not supported (namespaces and filter are).`);
    }
  }
  return { topic, namespaces, filter };
}

function compileTarget(raw: unknown, n: number): CompiledTarget {
  if (!isRecord(raw)) return invalid(`targets[${n}] must be a JSON object.`);
  for (const key of Object.keys(raw)) if (!TARGET_FIELDS.has(key)) invalid(`targets[${n}].${key.slice(0, 50)} is not supported by this router.`);
  if (raw.payloadMapping !== undefined && !(Array.isArray(raw.payloadMapping) && raw.payloadMapping.length === 0)) {
    invalid(`targets[${n}].payloadMapping: payload mapping is not supported; targets receive the Ditto Protocol message.`);
  }
  if (typeof raw.address !== 'string') return invalid(`targets[${n}].address must be a string 'VERB:/path'.`);
  const colon = raw.address.indexOf(':');
  const method = raw.address.slice(0, colon).toUpperCase();
  const pathTemplate = raw.address.slice(colon + 1);
  if (colon < 0) return invalid(`targets[${n}]: Target address has invalid format. Expect '<VERB>:/<path>', for example 'POST:/api'.`);
  if (!HTTP_VERBS.has(method))
    return invalid(`targets[${n}]: The method '${method.slice(0, 20)}' is not supported. Supported methods are: ${[...HTTP_VERBS].join(', ')}.`);
  if (!pathTemplate.startsWith('/')) return invalid(`targets[${n}].address: the path after '${method}:' must start with '/'.`);
  checkPlaceholders(pathTemplate, `targets[${n}].address`, false);
  const topics = stringList(raw.topics, `targets[${n}].topics`).map(parseTopic);
  const live = topics.find((t) => t.topic === LIVE_MESSAGES_TOPIC);
  const authorizationContext = stringList(raw.authorizationContext, `targets[${n}].authorizationContext`);
  const headerMapping: Record<string, string> = {};
  if (raw.headerMapping !== undefined) {
    if (!isRecord(raw.headerMapping)) return invalid(`targets[${n}].headerMapping must be a JSON object of strings.`);
    for (const [name, value] of Object.entries(raw.headerMapping)) {
      if (typeof value !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
        invalid(`targets[${n}].headerMapping['${name.slice(0, 50)}'] must be a header name mapped to a string.`);
      checkPlaceholders(value as string, `targets[${n}].headerMapping['${name}']`, true);
      headerMapping[name.toLowerCase()] = value as string;
    }
  }
  const label = raw.issuedAcknowledgementLabel;
  if (label !== undefined && label !== LIVE_RESPONSE) {
    invalid(`targets[${n}].issuedAcknowledgementLabel: only '${LIVE_RESPONSE}' is supported (this router has no acknowledgements).`);
  }
  return {
    method: method as HttpVerb,
    pathTemplate,
    authorizationContext,
    ...(live
      ? { liveMessages: { ...(live.namespaces ? { namespaces: live.namespaces } : {}), ...(live.filter !== undefined ? { filter: live.filter } : {}) } }
      : {}),
    headerMapping,
    liveResponse: label === LIVE_RESPONSE,
  };
}

function specificConfigOf(raw: unknown): { parallelism: number; omitRequestBody: readonly HttpVerb[] } {
  if (raw === undefined) return { parallelism: 1, omitRequestBody: OMIT_BODY_DEFAULT };
  if (!isRecord(raw)) return invalid("'specificConfig' must be a JSON object.");
  for (const key of Object.keys(raw)) {
    if (key !== 'parallelism' && key !== 'omitRequestBody')
      invalid(`specificConfig.${key.slice(0, 50)} is not supported (parallelism and omitRequestBody are).`);
  }
  let parallelism = 1;
  if (raw.parallelism !== undefined) {
    parallelism = typeof raw.parallelism === 'string' || typeof raw.parallelism === 'number' ? Number(raw.parallelism) : Number.NaN;
    if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > MAX_PARALLELISM)
      invalid(`specificConfig.parallelism must be an integer 1..${MAX_PARALLELISM}.`);
  }
  let omitRequestBody = OMIT_BODY_DEFAULT;
  if (raw.omitRequestBody !== undefined) {
    // Ditto takes a list or a comma-separated string; an empty string sends the body always.
    const verbs = Array.isArray(raw.omitRequestBody)
      ? raw.omitRequestBody
      : typeof raw.omitRequestBody === 'string'
        ? raw.omitRequestBody.split(',')
        : undefined;
    // An entry that is not a string stays as it is, to be refused below rather than dropped.
    const cleaned = verbs?.map((v: unknown) => (typeof v === 'string' ? v.trim().toUpperCase() : v)).filter((v) => v !== '');
    if (!cleaned?.every((v) => HTTP_VERBS.has(v as string))) invalid(`specificConfig.omitRequestBody must list HTTP verbs (${[...HTTP_VERBS].join(', ')}).`);
    omitRequestBody = cleaned as HttpVerb[];
  }
  return { parallelism, omitRequestBody };
}

/** Compiles a stored (or just validated) connection document. */
export function compileConnection(doc: ConnectionDocument): CompiledConnection {
  const { baseUrl, basicAuth } = parseUri(doc.uri);
  if (!Array.isArray(doc.targets) || doc.targets.length === 0) return invalid('An http-push connection needs at least one target.');
  if (doc.targets.length > MAX_TARGETS) invalid(`A connection may have at most ${MAX_TARGETS} targets.`);
  return {
    id: doc.id as string,
    open: doc.connectionStatus === 'open',
    baseUrl,
    ...(basicAuth !== undefined ? { basicAuth } : {}),
    validateCertificates: doc.validateCertificates !== false,
    ...specificConfigOf(doc.specificConfig),
    targets: doc.targets.map(compileTarget),
  };
}

/**
 * Validates a connection as sent by a client and returns the document to store. As in Ditto, a
 * POST generates the id (one in the body is refused) and a PUT's body may only repeat the path's.
 */
export function parseConnection(body: unknown, id: string, generatedId = false): { document: ConnectionDocument; compiled: CompiledConnection } {
  if (!isRecord(body)) return invalid('A connection must be a JSON object.');
  if (body.id !== undefined && (generatedId || body.id !== id)) throw new ConnectionIdNotSettableError(generatedId);
  for (const key of Object.keys(body)) if (!CONNECTION_FIELDS.has(key)) invalid(`The field '${key.slice(0, 50)}' is not supported by this router.`);
  if (!isConnectionId(id)) invalid(`The connection id '${id.slice(0, 100)}' is not valid: 1-100 of letters, digits and _ . : @ -.`);
  if (body.connectionType !== HTTP_PUSH)
    invalid(`The connectionType '${String(body.connectionType).slice(0, 50)}' is not supported: this router has '${HTTP_PUSH}' connections only.`);
  // Ditto's default for a new connection is 'unknown', which (as 'closed') delivers nothing.
  const status = body.connectionStatus ?? 'unknown';
  if (!CONNECTION_STATUSES.includes(status as string)) invalid("'connectionStatus' must be 'open', 'closed' or 'unknown'.");
  if (body.sources !== undefined && !(Array.isArray(body.sources) && body.sources.length === 0))
    invalid('http-push connections have no sources: leave them empty.');
  if (body.mappingDefinitions !== undefined && !(isRecord(body.mappingDefinitions) && Object.keys(body.mappingDefinitions).length === 0)) {
    invalid('Payload mapping (mappingDefinitions) is not supported: targets receive the Ditto Protocol message.');
  }
  if (body.validateCertificates !== undefined && typeof body.validateCertificates !== 'boolean') invalid("'validateCertificates' must be true or false.");
  if (body.name !== undefined && typeof body.name !== 'string') invalid("'name' must be a string.");
  if (body.tags !== undefined && !(Array.isArray(body.tags) && body.tags.every((t) => typeof t === 'string'))) invalid("'tags' must be an array of strings.");
  // Every router container reads every connection on each cache refresh: each one stays small.
  if (JSON.stringify(body).length > MAX_CONNECTION_CHARS) invalid(`A connection may have at most ${MAX_CONNECTION_CHARS} characters of JSON.`);
  const document: ConnectionDocument = { id, ...body, connectionStatus: status, sources: [] };
  return { document, compiled: compileConnection(document) };
}

/** Replaces the password of a uri by Ditto's mask. */
export function maskPassword(uri: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(uri)?.[0];
  if (!scheme) return uri.includes('@') ? PASSWORD_MASK : uri;
  const rest = uri.slice(scheme.length);
  // A valid uri has no '/' in its user info; anything else is masked up to its last '@', over-masking rather than leaking.
  const at = URI.test(uri) ? rest.split('/')[0]!.lastIndexOf('@') : rest.lastIndexOf('@');
  if (at < 0) return uri;
  const userInfo = rest.slice(0, at);
  const colon = userInfo.indexOf(':');
  return `${scheme}${colon < 0 ? userInfo : `${userInfo.slice(0, colon)}:${PASSWORD_MASK}`}@${rest.slice(at + 1)}`;
}

/** The document as GET shows it: the uri's password masked. */
export function maskedDocument(doc: ConnectionDocument): ConnectionDocument {
  return typeof doc.uri === 'string' ? { ...doc, uri: maskPassword(doc.uri) } : doc;
}

/**
 * A client that sends back what GET showed (password masked) keeps the stored password, as long
 * as user, host and port are unchanged: a round trip must not overwrite the secret with the mask.
 */
export function keepMaskedPassword(incoming: unknown, stored: ConnectionDocument | undefined): unknown {
  if (!isRecord(incoming) || typeof stored?.uri !== 'string' || incoming.uri !== maskPassword(stored.uri)) return incoming;
  // Equal to the masked stored uri, so a string.
  if (!(incoming.uri as string).includes(`:${PASSWORD_MASK}@`)) return incoming;
  return { ...incoming, uri: stored.uri };
}
