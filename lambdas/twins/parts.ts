/**
 * Ditto's sub-resources of things and policies (`/things/{id}/attributes/...`, `/features/...`,
 * `/policyId`; `/policies/{id}/entries/{label}/subjects/...`, `/resources/...`). Each change is
 * applied to the latest stored revision with a conditional write and retried on conflict, so two
 * clients changing different parts both keep their change. Permissions are checked on the part's
 * own resource (`thing:/attributes/room`, `policy:/entries/DEVICE`), as Ditto does.
 */
import { isRecord } from '../core/collections';
import {
  DittoError,
  PolicyConflictError,
  PolicyModificationInvalidError,
  PolicyNotFoundError,
  ThingConflictError,
  ThingNotFoundError,
  ThingNotModifiableError,
} from '../core/errors';
import type { Preconditions } from '../core/preconditions';
import { compilePolicy, type Enforcer, parsePolicy, readableView } from '../core/policy';
import { accessCache } from '../routing/access';
import type { PolicyRecord, ThingRecord } from '../store/entities';
import { RevisionConflictError } from '../store/entities';
import { policies, things } from '../store/repositories';
import { checkPreconditions, parseThingBody } from './twins';

export type Part =
  | { readonly entity: 'thing'; readonly id: string; readonly pointer: readonly string[] }
  | { readonly entity: 'policy'; readonly id: string; readonly pointer: readonly string[] };

/**
 * Writes that lost a race are re-applied to the newer revision, after a short random pause so that
 * racing writers spread out; after this many tries the client gets Ditto's conflict (412).
 */
const MAX_ATTEMPTS = 25;
const pause = () => new Promise((r) => setTimeout(r, 5 + Math.random() * 25));

/**
 * Ditto's name for a part in its error codes (`things:attribute`, `policies:entry`, …); a part
 * below a missing policy entry is reported as the entry.
 */
function partName(part: Part, missingEntry = false): { code: string; label: string } {
  const p = part.pointer;
  if (part.entity === 'thing') {
    if (p[0] === 'policyId') return { code: 'things:policyId', label: 'policy ID' };
    if (p[0] === 'attributes') return p.length === 1 ? { code: 'things:attributes', label: 'attributes' } : { code: 'things:attribute', label: 'attribute' };
    if (p.length === 1) return { code: 'things:features', label: 'features' };
    if (p[2] === 'properties')
      return p.length === 3
        ? { code: 'things:feature.properties', label: 'feature properties' }
        : { code: 'things:feature.property', label: 'feature property' };
    // features/{id} itself, and any other part of a feature (desiredProperties, definition).
    return { code: 'things:feature', label: 'feature' };
  }
  if (p.length <= 2 || missingEntry) return { code: 'policies:entry', label: 'policy entry' };
  if (p[2] === 'subjects') return p.length === 3 ? { code: 'policies:subjects', label: 'subjects' } : { code: 'policies:subject', label: 'subject' };
  return p.length === 3 ? { code: 'policies:resources', label: 'resources' } : { code: 'policies:resource', label: 'resource' };
}

const ofEntity = (part: Part) => `of the ${part.entity === 'thing' ? 'Thing' : 'Policy'} with ID '${part.id}'`;

class PartNotFoundError extends DittoError {
  constructor(part: Part, missingEntry = false) {
    const { code, label } = partName(part, missingEntry);
    super(
      404,
      `${code}.notfound`,
      `The ${label} '${part.pointer.join('/')}' ${ofEntity(part)} could not be found or the requester had insufficient permissions to access it.`,
      'Check the path of the requested resource and your permissions.',
    );
    this.name = 'PartNotFoundError';
  }
}

class PartNotModifiableError extends DittoError {
  constructor(part: Part) {
    const { code, label } = partName(part);
    super(
      403,
      `${code}.notmodifiable`,
      `The ${label} '${part.pointer.join('/')}' ${ofEntity(part)} could not be modified as the requester had insufficient permissions to modify it.`,
      'Check if you have sufficient permissions to modify the resource.',
    );
    this.name = 'PartNotModifiableError';
  }
}

const valueAt = (root: unknown, pointer: readonly string[]): unknown =>
  pointer.reduce<unknown>((node, key) => (isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined), root);

/** A copy of `root` with the value at `pointer` set (objects created on the way) or removed. */
function withValueAt(root: Record<string, unknown>, pointer: readonly string[], value: unknown | undefined): Record<string, unknown> {
  const [key, ...rest] = pointer;
  const copy = { ...root };
  if (rest.length === 0) {
    if (value === undefined) delete copy[key!];
    else copy[key!] = value;
    return copy;
  }
  const child = isRecord(copy[key!]) ? (copy[key!] as Record<string, unknown>) : {};
  copy[key!] = withValueAt(child, rest, value);
  return copy;
}

/** The resource a part's permission is checked on. */
const resourceOf = (part: Part): string => (part.entity === 'thing' ? `thing:/${part.pointer.join('/')}` : `policy:/${part.pointer.join('/')}`);

interface Loaded {
  readonly record: ThingRecord | PolicyRecord;
  readonly body: Record<string, unknown>;
  /** The policy deciding over the part: the thing's policy, or the policy itself. */
  readonly enforcer: Enforcer;
  readonly may: (permission: 'READ' | 'WRITE') => boolean;
}

/** The entity, its body without the revision, and its enforcer; 404 unless the caller may read some of it. */
async function load(part: Part, subjects: readonly string[]): Promise<Loaded> {
  const record = part.entity === 'thing' ? await things().get(part.id, true) : await policies().get(part.id, true);
  const policy = record && part.entity === 'thing' ? await policies().get((record as ThingRecord).policyId, true) : (record as PolicyRecord | undefined);
  const enforcer = policy ? compilePolicy(policy) : undefined;
  if (!record || !enforcer?.hasAnyGrant(subjects, part.entity, 'READ'))
    throw part.entity === 'thing' ? new ThingNotFoundError(part.id) : new PolicyNotFoundError(part.id);
  const { revision: _r, ...body } = record;
  return { record, body: body as Record<string, unknown>, enforcer, may: (p) => enforcer.may(subjects, resourceOf(part), p) };
}

/** GET of a part: what the caller may READ of it (a partial view below it), 404 when nothing. */
export async function getPart(part: Part, subjects: readonly string[], conditions: Preconditions = {}): Promise<{ value: unknown; revision: number }> {
  const loaded = await load(part, subjects);
  checkPreconditions(part.entity, conditions, loaded.record.revision, true);
  if (part.entity === 'policy' && part.pointer.length > 2 && valueAt(loaded.body, part.pointer.slice(0, 2)) === undefined)
    throw new PartNotFoundError(part, true);
  const value = valueAt(loaded.body, part.pointer);
  if (value === undefined) throw new PartNotFoundError(part);
  if (part.entity === 'policy') {
    if (!loaded.may('READ')) throw new PartNotFoundError(part);
    return { value, revision: loaded.record.revision };
  }
  const visible = readableView(loaded.enforcer, subjects, resourceOf(part), value);
  if (visible === undefined) throw new PartNotFoundError(part);
  return { value: visible, revision: loaded.record.revision };
}

/** PUT (a value) or DELETE (undefined) of a part; `created` when it did not exist before. */
export async function changePart(
  part: Part,
  value: unknown | undefined,
  subjects: readonly string[],
  conditions: Preconditions = {},
): Promise<{ created: boolean; revision: number }> {
  for (let attempt = 1; ; attempt++) {
    const loaded = await load(part, subjects);
    // As Ditto: subjects or resources of an entry that does not exist are not found as that entry (the entry itself may be created).
    if (part.entity === 'policy' && part.pointer.length > 2 && valueAt(loaded.body, part.pointer.slice(0, 2)) === undefined)
      throw new PartNotFoundError(part, true);
    const before = valueAt(loaded.body, part.pointer);
    if (!loaded.may('WRITE')) {
      // As Ditto: what the caller may not read does not exist for it (404); readable but not writable is 403.
      if (!loaded.may('READ')) throw new PartNotFoundError(part);
      throw new PartNotModifiableError(part);
    }
    checkPreconditions(part.entity, conditions, loaded.record.revision);
    if (value === undefined && before === undefined) throw new PartNotFoundError(part);
    const next = withValueAt(loaded.body, part.pointer, value);
    try {
      const revision = await write(part, next, loaded.record.revision, loaded.record, subjects);
      // A thing always has a policyId, so a PUT of it is a replace (204), never a creation, as in Ditto.
      return { created: before === undefined, revision };
    } catch (e) {
      // Someone changed another part meanwhile: apply this change to their revision.
      if (!(e instanceof RevisionConflictError)) throw e;
      if (attempt >= MAX_ATTEMPTS) throw part.entity === 'thing' ? new ThingConflictError(part.id) : new PolicyConflictError(part.id);
      await pause();
    }
  }
}

async function write(
  part: Part,
  next: Record<string, unknown>,
  expected: number,
  previous: ThingRecord | PolicyRecord,
  subjects: readonly string[],
): Promise<number> {
  if (part.entity === 'thing') {
    const input = parseThingBody(part.id, next);
    if (input.policyId === undefined) throw new DittoError(400, 'things:thing.invalid', 'The Thing is not valid.', 'A thing needs a policyId.');
    if (input.policyId !== (previous as ThingRecord).policyId) {
      // Moving a thing under another policy needs WRITE on thing:/ there too (as a whole-thing PUT).
      const target = await policies().get(input.policyId, true);
      if (!target || !compilePolicy(target).may(subjects, 'thing:/', 'WRITE')) throw new ThingNotModifiableError(part.id);
    }
    const { inlinePolicy: _inline, ...fields } = input;
    const saved = await things().put(part.id, { ...fields, thingId: part.id, policyId: input.policyId }, expected);
    accessCache().invalidateThing(part.id);
    return saved.revision;
  }
  const policy = parsePolicy(next, part.id);
  // Lock-out prevention holds for every change, however small.
  if (compilePolicy(policy).subjectsWith('policy:/', 'WRITE').length === 0) throw new PolicyModificationInvalidError(part.id);
  const saved = await policies().put(part.id, policy, expected);
  accessCache().invalidatePolicy(part.id);
  return saved.revision;
}
