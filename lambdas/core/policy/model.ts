/** Ditto v2 policy model and its validation. */
import { isRecord } from '../collections';
import { EntityTooLargeError, PolicyInvalidError } from '../errors';

export const PERMISSIONS = ['READ', 'WRITE', 'EXECUTE'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface PolicySubject {
  readonly type: string;
  /** Ditto's subject expiry (ISO 8601): from then on the subject grants nothing. */
  readonly expiry?: string;
}

export interface ResourcePermissions {
  readonly grant: readonly Permission[];
  readonly revoke: readonly Permission[];
}

export interface PolicyEntry {
  readonly subjects: Readonly<Record<string, PolicySubject>>;
  readonly resources: Readonly<Record<string, ResourcePermissions>>;
}

export interface Policy {
  readonly policyId: string;
  readonly entries: Readonly<Record<string, PolicyEntry>>;
}

/**
 * Bounds: Ditto's policy size limit (100k JSON characters), plus counts that bound what one
 * message may cost to route: every distinct subject is one index query per message.
 */
export const MAX_POLICY_CHARS = 100 * 1024;
export const MAX_POLICY_SUBJECTS = 512;
export const MAX_POLICY_ENTRIES = 200;
const MAX_KEY_LENGTH = 1024;

function parsePermissions(value: unknown, where: string): Permission[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new PolicyInvalidError(`${where} must be an array of permissions.`);
  return value.map((p) => {
    if (!(PERMISSIONS as readonly unknown[]).includes(p)) {
      throw new PolicyInvalidError(`${where} holds the unknown permission ${JSON.stringify(p)}; use ${PERMISSIONS.join(', ')}.`);
    }
    return p as Permission;
  });
}

function checkKey(key: string, what: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: keys must not hold control characters
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || /[\x00-\x1F]/.test(key)) {
    throw new PolicyInvalidError(`The ${what} '${key.slice(0, 100)}' is not valid: it must be 1 to ${MAX_KEY_LENGTH} characters without control characters.`);
  }
}

function parseEntry(label: string, value: unknown): PolicyEntry {
  checkKey(label, 'entry label');
  if (!isRecord(value)) throw new PolicyInvalidError(`The entry '${label}' must be a JSON object.`);
  if (!isRecord(value.subjects)) throw new PolicyInvalidError(`The entry '${label}' needs a 'subjects' object.`);
  if (!isRecord(value.resources)) throw new PolicyInvalidError(`The entry '${label}' needs a 'resources' object.`);
  const subjects: Record<string, PolicySubject> = {};
  for (const [id, subject] of Object.entries(value.subjects)) {
    checkKey(id, 'subject id');
    if (!isRecord(subject)) throw new PolicyInvalidError(`The subject '${id}' in entry '${label}' must be a JSON object.`);
    if (subject.type !== undefined && typeof subject.type !== 'string') {
      throw new PolicyInvalidError(`The 'type' of subject '${id}' in entry '${label}' must be a string.`);
    }
    if (subject.expiry !== undefined && (typeof subject.expiry !== 'string' || Number.isNaN(Date.parse(subject.expiry)))) {
      throw new PolicyInvalidError(`The 'expiry' of subject '${id}' in entry '${label}' must be an ISO 8601 timestamp, e.g. '2027-01-01T00:00:00Z'.`);
    }
    subjects[id] = {
      type: typeof subject.type === 'string' ? subject.type : 'generated',
      ...(typeof subject.expiry === 'string' ? { expiry: subject.expiry } : {}),
    };
  }
  const resources: Record<string, ResourcePermissions> = {};
  for (const [key, resource] of Object.entries(value.resources)) {
    checkKey(key, 'resource');
    const colon = key.indexOf(':');
    if (colon <= 0) throw new PolicyInvalidError(`The resource '${key}' in entry '${label}' must look like '<type>:<path>'.`);
    if (!isRecord(resource)) throw new PolicyInvalidError(`The resource '${key}' in entry '${label}' must be a JSON object.`);
    resources[key] = {
      grant: parsePermissions(resource.grant, `'grant' of resource '${key}' in entry '${label}'`),
      revoke: parsePermissions(resource.revoke, `'revoke' of resource '${key}' in entry '${label}'`),
    };
  }
  return { subjects, resources };
}

/** Validates policy JSON; the id comes from the URL (a body id must agree with it). */
export function parsePolicy(json: unknown, policyId: string): Policy {
  if (!isRecord(json)) throw new PolicyInvalidError('A policy must be a JSON object.');
  if (json.policyId !== undefined && json.policyId !== policyId) {
    throw new PolicyInvalidError(`The policyId in the body ('${String(json.policyId).slice(0, 100)}') does not match the one in the URL ('${policyId}').`);
  }
  if (!isRecord(json.entries)) throw new PolicyInvalidError("A policy needs an 'entries' object.");
  const size = JSON.stringify(json).length;
  if (size > MAX_POLICY_CHARS) throw new EntityTooLargeError('policy', size, MAX_POLICY_CHARS);
  const labels = Object.keys(json.entries);
  if (labels.length > MAX_POLICY_ENTRIES)
    throw new PolicyInvalidError(`A policy may hold at most ${MAX_POLICY_ENTRIES} entries, this one has ${labels.length}.`);
  const entries: Record<string, PolicyEntry> = {};
  for (const label of labels) entries[label] = parseEntry(label, json.entries[label]);
  const subjects = new Set(Object.values(entries).flatMap((e) => Object.keys(e.subjects)));
  if (subjects.size > MAX_POLICY_SUBJECTS) {
    throw new PolicyInvalidError(
      `A policy may name at most ${MAX_POLICY_SUBJECTS} distinct subjects, this one names ${subjects.size}: each one costs a lookup per routed message. Group devices under fewer subjects or split the policy.`,
    );
  }
  return { policyId, entries };
}

/** Ditto's default policy for a thing created without one. */
export function defaultPolicy(policyId: string, subjects: readonly string[]): Policy {
  const all: ResourcePermissions = { grant: ['READ', 'WRITE'], revoke: [] };
  return {
    policyId,
    entries: {
      DEFAULT: {
        subjects: Object.fromEntries(subjects.map((s) => [s, { type: 'the creator' }])),
        resources: { 'thing:/': all, 'policy:/': all, 'message:/': all },
      },
    },
  };
}
