/** Minimal twin management: whole things and policies with Ditto's permission checks and creation rules. */
import {
  EntityNotCreatableError,
  EntityTooLargeError,
  PolicyConflictError,
  PolicyModificationInvalidError,
  PolicyNotFoundError,
  PolicyNotModifiableError,
  ThingConflictError,
  ThingInvalidError,
  ThingNotFoundError,
  NotModifiedError,
  PreconditionFailedError,
  ThingNotCreatableError,
  ThingNotModifiableError,
} from '../core/errors';
import { getConfig } from '../config';
import { isRecord } from '../core/collections';
import { parsePolicyId } from '../core/ids';
import { etagOf, evaluatePreconditions, type Preconditions } from '../core/preconditions';
import { compilePolicy, type CreatableType, defaultPolicy, type Enforcer, mayCreate, parsePolicy, type Policy } from '../core/policy';
import { type PolicyRecord, RevisionConflictError, type ThingRecord } from '../store/entities';
import { policies, things } from '../store/repositories';
import { accessCache } from '../routing/access';

export interface Outcome<T> {
  readonly created: boolean;
  readonly value: T;
  /** The revision written (its ETag goes on the response). */
  readonly revision: number;
}

export interface Current<T> {
  readonly value: T;
  readonly revision: number;
}

/** Throws 412 (or 304 for a read) when a conditional header says so. */
export function checkPreconditions(entity: 'thing' | 'policy', conditions: Preconditions, revision: number | undefined, read = false): void {
  const outcome = evaluatePreconditions(conditions, revision, read);
  if (outcome === 'proceed') return;
  if (outcome === 'not-modified') throw new NotModifiedError(etagOf(revision!));
  throw new PreconditionFailedError(entity, outcome.failed);
}

export interface ThingJson {
  readonly thingId: string;
  readonly policyId: string;
  readonly attributes?: Record<string, unknown>;
  readonly features?: Record<string, unknown>;
}

export interface PolicyJson {
  readonly policyId: string;
  readonly entries: Policy['entries'];
}

const thingJson = (t: ThingRecord): ThingJson => ({
  thingId: t.thingId,
  policyId: t.policyId,
  ...(t.attributes !== undefined ? { attributes: t.attributes } : {}),
  ...(t.features !== undefined ? { features: t.features } : {}),
});
const policyJson = (p: PolicyRecord | Policy): PolicyJson => ({ policyId: p.policyId, entries: p.entries });

async function enforcerOf(policyId: string): Promise<Enforcer | undefined> {
  const policy = await policies().get(policyId, true);
  return policy ? compilePolicy(policy) : undefined;
}

interface ThingInput {
  readonly policyId?: string;
  readonly attributes?: Record<string, unknown>;
  readonly features?: Record<string, unknown>;
  /** Ditto's inline policy, created with the thing. */
  readonly inlinePolicy?: unknown;
}

export function parseThingBody(thingId: string, body: unknown): ThingInput {
  if (!isRecord(body)) throw new ThingInvalidError('A thing must be a JSON object.');
  const size = JSON.stringify(body).length;
  if (size > MAX_THING_CHARS) throw new EntityTooLargeError('thing', size, MAX_THING_CHARS);
  const allowed = new Set(['thingId', 'policyId', 'attributes', 'features', 'definition', '_policy']);
  for (const key of Object.keys(body)) if (!allowed.has(key)) throw new ThingInvalidError(`Unknown field '${key.slice(0, 100)}'.`);
  if (body.thingId !== undefined && body.thingId !== thingId)
    throw new ThingInvalidError(`The thingId in the body does not match the one in the URL ('${thingId}').`);
  if (body.policyId !== undefined && typeof body.policyId !== 'string') throw new ThingInvalidError("The 'policyId' must be a string.");
  if (typeof body.policyId === 'string') parsePolicyId(body.policyId);
  if (body.attributes !== undefined && !isRecord(body.attributes)) throw new ThingInvalidError("The 'attributes' must be a JSON object.");
  if (body.features !== undefined && !isRecord(body.features)) throw new ThingInvalidError("The 'features' must be a JSON object.");
  return {
    ...(typeof body.policyId === 'string' ? { policyId: body.policyId } : {}),
    ...(body.attributes !== undefined ? { attributes: body.attributes as Record<string, unknown> } : {}),
    ...(body.features !== undefined ? { features: body.features as Record<string, unknown> } : {}),
    ...(body._policy !== undefined ? { inlinePolicy: body._policy } : {}),
  };
}

/** Ditto's thing size limit (100k JSON characters): attributes are what filters read per message. */
const MAX_THING_CHARS = 100 * 1024;

/** A write that lost a race on the revision becomes the entity's Ditto conflict error. */
async function onConflict<T>(work: () => Promise<T>, conflict: () => Error): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof RevisionConflictError) throw conflict();
    throw e;
  }
}

const namespaceOf = (id: string) => id.slice(0, id.indexOf(':'));

function checkCreation(type: CreatableType, id: string, subjects: readonly string[]): void {
  if (!mayCreate(getConfig().entityCreation, type, namespaceOf(id), subjects)) throw new EntityNotCreatableError(id, namespaceOf(id));
}

/**
 * The policy a new thing gets, as Ditto: an inline `_policy` (id: the thing's `policyId`, else the
 * inline one, else the thing id), else a default policy under the thing id. Either must be new: a
 * policy that someone else already created under that id is never adopted silently.
 */
async function createThingPolicy(thingId: string, input: ThingInput, subjects: readonly string[]): Promise<string> {
  const inline = input.inlinePolicy;
  const inlineId = isRecord(inline) && typeof inline.policyId === 'string' ? inline.policyId : undefined;
  const policyId = input.policyId ?? inlineId ?? thingId;
  parsePolicyId(policyId);
  const policy = inline !== undefined ? parsePolicy(inline, policyId) : defaultPolicy(policyId, subjects);
  if (compilePolicy(policy).subjectsWith('policy:/', 'WRITE').length === 0) throw new PolicyModificationInvalidError(policyId);
  checkCreation('policy', policyId, subjects);
  await onConflict(
    () => policies().put(policyId, policy, undefined),
    () => new ThingNotCreatableError(thingId, policyId),
  );
  accessCache().invalidatePolicy(policyId);
  return policyId;
}

async function readableThing(thingId: string, subjects: readonly string[]): Promise<{ thing: ThingRecord; enforcer: Enforcer }> {
  const thing = await things().get(thingId, true);
  const enforcer = thing ? await enforcerOf(thing.policyId) : undefined;
  if (!thing || !enforcer?.may(subjects, 'thing:/', 'READ')) throw new ThingNotFoundError(thingId);
  return { thing, enforcer };
}

export async function getThing(thingId: string, subjects: readonly string[], conditions: Preconditions = {}): Promise<Current<ThingJson>> {
  const { thing } = await readableThing(thingId, subjects);
  checkPreconditions('thing', conditions, thing.revision, true);
  return { value: thingJson(thing), revision: thing.revision };
}

export async function putThing(thingId: string, body: unknown, subjects: readonly string[], conditions: Preconditions = {}): Promise<Outcome<ThingJson>> {
  const input = parseThingBody(thingId, body);
  const existing = await things().get(thingId, true);
  return onConflict(
    async (): Promise<Outcome<ThingJson>> => {
      if (existing) {
        const enforcer = await enforcerOf(existing.policyId);
        if (!enforcer?.may(subjects, 'thing:/', 'READ')) throw new ThingNotFoundError(thingId);
        if (!enforcer.may(subjects, 'thing:/', 'WRITE')) throw new ThingNotModifiableError(thingId);
        checkPreconditions('thing', conditions, existing.revision);
        if (input.inlinePolicy !== undefined) {
          throw new ThingInvalidError(
            "'_policy' creates a thing's policy and is only accepted when the thing is created; change the policy at /api/2/policies/{policyId}.",
          );
        }
        const policyId = input.policyId ?? existing.policyId;
        if (policyId !== existing.policyId) {
          const next = await enforcerOf(policyId);
          if (!next) throw new ThingInvalidError(`The policy '${policyId}' does not exist.`);
          if (!next.may(subjects, 'thing:/', 'WRITE')) throw new ThingNotModifiableError(thingId);
        }
        const { inlinePolicy: _inline, ...fields } = input;
        const saved = await things().put(thingId, { ...fields, thingId, policyId }, existing.revision);
        accessCache().invalidateThing(thingId);
        return { created: false, value: thingJson(saved), revision: saved.revision };
      }
      checkPreconditions('thing', conditions, undefined);
      checkCreation('thing', thingId, subjects);
      const named = input.policyId !== undefined && input.inlinePolicy === undefined ? await policies().get(input.policyId, true) : undefined;
      if (named && !compilePolicy(named).may(subjects, 'thing:/', 'WRITE')) throw new ThingNotModifiableError(thingId);
      // An existing policy named explicitly is used; otherwise the thing's own policy is created first.
      const policyId = named ? named.policyId : await createThingPolicy(thingId, input, subjects);
      const { inlinePolicy: _inline, ...fields } = input;
      let saved: ThingRecord;
      try {
        saved = await things().put(thingId, { ...fields, thingId, policyId }, undefined);
      } catch (e) {
        // Someone created the thing meanwhile: the policy made for it goes again (as Ditto does).
        if (!named && e instanceof RevisionConflictError)
          await policies()
            .delete(policyId, 1)
            .catch(() => undefined);
        throw e;
      }
      accessCache().invalidateThing(thingId);
      return { created: true, value: thingJson(saved), revision: saved.revision };
    },
    () => new ThingConflictError(thingId),
  );
}

export async function deleteThing(thingId: string, subjects: readonly string[], conditions: Preconditions = {}): Promise<void> {
  const { thing, enforcer } = await readableThing(thingId, subjects);
  if (!enforcer.may(subjects, 'thing:/', 'WRITE')) throw new ThingNotModifiableError(thingId);
  checkPreconditions('thing', conditions, thing.revision);
  await onConflict(
    () => things().delete(thingId, thing.revision),
    () => new ThingConflictError(thingId),
  );
  accessCache().invalidateThing(thingId);
}

async function readablePolicy(policyId: string, subjects: readonly string[]): Promise<{ policy: PolicyRecord; enforcer: Enforcer }> {
  const policy = await policies().get(policyId, true);
  const enforcer = policy ? compilePolicy(policy) : undefined;
  if (!policy || !enforcer?.may(subjects, 'policy:/', 'READ')) throw new PolicyNotFoundError(policyId);
  return { policy, enforcer };
}

export async function getPolicy(policyId: string, subjects: readonly string[], conditions: Preconditions = {}): Promise<Current<PolicyJson>> {
  const { policy } = await readablePolicy(policyId, subjects);
  checkPreconditions('policy', conditions, policy.revision, true);
  return { value: policyJson(policy), revision: policy.revision };
}

export async function putPolicy(policyId: string, body: unknown, subjects: readonly string[], conditions: Preconditions = {}): Promise<Outcome<PolicyJson>> {
  const policy = parsePolicy(body, policyId);
  // Lock-out prevention: someone must still be able to change the policy afterwards.
  if (compilePolicy(policy).subjectsWith('policy:/', 'WRITE').length === 0) throw new PolicyModificationInvalidError(policyId);
  const existing = await policies().get(policyId, true);
  return onConflict(
    async () => {
      if (existing) {
        const enforcer = compilePolicy(existing);
        if (!enforcer.may(subjects, 'policy:/', 'READ')) throw new PolicyNotFoundError(policyId);
        if (!enforcer.may(subjects, 'policy:/', 'WRITE')) throw new PolicyNotModifiableError(policyId);
        checkPreconditions('policy', conditions, existing.revision);
        const saved = await policies().put(policyId, policy, existing.revision);
        accessCache().invalidatePolicy(policyId);
        return { created: false, value: policyJson(saved), revision: saved.revision };
      }
      checkPreconditions('policy', conditions, undefined);
      checkCreation('policy', policyId, subjects);
      const saved = await policies().put(policyId, policy, undefined);
      accessCache().invalidatePolicy(policyId);
      return { created: true, value: policyJson(saved), revision: saved.revision };
    },
    () => new PolicyConflictError(policyId),
  );
}

export async function deletePolicy(policyId: string, subjects: readonly string[], conditions: Preconditions = {}): Promise<void> {
  const { policy, enforcer } = await readablePolicy(policyId, subjects);
  if (!enforcer.may(subjects, 'policy:/', 'WRITE')) throw new PolicyNotModifiableError(policyId);
  checkPreconditions('policy', conditions, policy.revision);
  await onConflict(
    () => policies().delete(policyId, policy.revision),
    () => new PolicyConflictError(policyId),
  );
  accessCache().invalidatePolicy(policyId);
}
