/** Minimal twin management (SPEC 3): things and policies with Ditto's permission checks. */
import {
  PolicyConflictError,
  PolicyModificationInvalidError,
  PolicyNotFoundError,
  PolicyNotModifiableError,
  ThingConflictError,
  ThingInvalidError,
  ThingNotFoundError,
  ThingNotModifiableError,
} from '../core/errors';
import { parsePolicyId } from '../core/ids';
import { compilePolicy, defaultPolicy, type Enforcer, parsePolicy, type Policy } from '../core/policy';
import { type PolicyRecord, policiesRepository, RevisionConflict, type ThingRecord, thingsRepository } from '../store/entities';
import { accessCache } from './access';

const things = thingsRepository();
const policies = policiesRepository();

export interface Outcome<T> {
  readonly created: boolean;
  readonly value: T;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function enforcerOf(policyId: string): Promise<Enforcer | undefined> {
  const policy = await policies.get(policyId, true);
  return policy ? compilePolicy(policy) : undefined;
}

function parseThingBody(thingId: string, body: unknown): { policyId?: string; attributes?: Record<string, unknown>; features?: Record<string, unknown> } {
  if (!isObject(body)) throw new ThingInvalidError('A thing must be a JSON object.');
  const allowed = new Set(['thingId', 'policyId', 'attributes', 'features', 'definition', '_policy']);
  for (const key of Object.keys(body)) if (!allowed.has(key)) throw new ThingInvalidError(`Unknown field '${key.slice(0, 100)}'.`);
  if (body.thingId !== undefined && body.thingId !== thingId) throw new ThingInvalidError(`The thingId in the body does not match the one in the URL ('${thingId}').`);
  if (body.policyId !== undefined && typeof body.policyId !== 'string') throw new ThingInvalidError("The 'policyId' must be a string.");
  if (typeof body.policyId === 'string') parsePolicyId(body.policyId);
  if (body.attributes !== undefined && !isObject(body.attributes)) throw new ThingInvalidError("The 'attributes' must be a JSON object.");
  if (body.features !== undefined && !isObject(body.features)) throw new ThingInvalidError("The 'features' must be a JSON object.");
  return {
    ...(typeof body.policyId === 'string' ? { policyId: body.policyId } : {}),
    ...(body.attributes !== undefined ? { attributes: body.attributes as Record<string, unknown> } : {}),
    ...(body.features !== undefined ? { features: body.features as Record<string, unknown> } : {}),
  };
}

async function readableThing(thingId: string, subjects: readonly string[]): Promise<{ thing: ThingRecord; enforcer: Enforcer }> {
  const thing = await things.get(thingId, true);
  const enforcer = thing ? await enforcerOf(thing.policyId) : undefined;
  if (!thing || !enforcer || !enforcer.may(subjects, 'thing:/', 'READ')) throw new ThingNotFoundError(thingId);
  return { thing, enforcer };
}

export async function getThing(thingId: string, subjects: readonly string[]): Promise<ThingJson> {
  return thingJson((await readableThing(thingId, subjects)).thing);
}

export async function putThing(thingId: string, body: unknown, subjects: readonly string[]): Promise<Outcome<ThingJson>> {
  const input = parseThingBody(thingId, body);
  const existing = await things.get(thingId, true);
  try {
    if (existing) {
      const enforcer = await enforcerOf(existing.policyId);
      if (!enforcer || !enforcer.may(subjects, 'thing:/', 'READ')) throw new ThingNotFoundError(thingId);
      if (!enforcer.may(subjects, 'thing:/', 'WRITE')) throw new ThingNotModifiableError(thingId);
      const policyId = input.policyId ?? existing.policyId;
      if (policyId !== existing.policyId) {
        const next = await enforcerOf(policyId);
        if (!next) throw new ThingInvalidError(`The policy '${policyId}' does not exist.`);
        if (!next.may(subjects, 'thing:/', 'WRITE')) throw new ThingNotModifiableError(thingId);
      }
      const saved = await things.put(thingId, { ...input, thingId, policyId }, existing.revision);
      accessCache().invalidateThing(thingId);
      return { created: false, value: thingJson(saved) };
    }
    const policyId = input.policyId ?? thingId;
    const policy = await policies.get(policyId, true);
    if (policy) {
      if (!compilePolicy(policy).may(subjects, 'thing:/', 'WRITE')) throw new ThingNotModifiableError(thingId);
    } else {
      await policies.put(policyId, defaultPolicy(policyId, subjects), undefined);
    }
    const saved = await things.put(thingId, { ...input, thingId, policyId }, undefined);
    accessCache().invalidateThing(thingId);
    return { created: true, value: thingJson(saved) };
  } catch (e) {
    if (e instanceof RevisionConflict) throw new ThingConflictError(thingId);
    throw e;
  }
}

export async function deleteThing(thingId: string, subjects: readonly string[]): Promise<void> {
  const { thing, enforcer } = await readableThing(thingId, subjects);
  if (!enforcer.may(subjects, 'thing:/', 'WRITE')) throw new ThingNotModifiableError(thingId);
  try {
    await things.delete(thingId, thing.revision);
  } catch (e) {
    if (e instanceof RevisionConflict) throw new ThingConflictError(thingId);
    throw e;
  }
  accessCache().invalidateThing(thingId);
}

async function readablePolicy(policyId: string, subjects: readonly string[]): Promise<{ policy: PolicyRecord; enforcer: Enforcer }> {
  const policy = await policies.get(policyId, true);
  const enforcer = policy ? compilePolicy(policy) : undefined;
  if (!policy || !enforcer || !enforcer.may(subjects, 'policy:/', 'READ')) throw new PolicyNotFoundError(policyId);
  return { policy, enforcer };
}

export async function getPolicy(policyId: string, subjects: readonly string[]): Promise<PolicyJson> {
  return policyJson((await readablePolicy(policyId, subjects)).policy);
}

export async function putPolicy(policyId: string, body: unknown, subjects: readonly string[]): Promise<Outcome<PolicyJson>> {
  const policy = parsePolicy(body, policyId);
  // Lock-out prevention: someone must still be able to change the policy afterwards.
  if (compilePolicy(policy).subjectsWith('policy:/', 'WRITE').length === 0) throw new PolicyModificationInvalidError(policyId);
  const existing = await policies.get(policyId, true);
  try {
    if (existing) {
      const enforcer = compilePolicy(existing);
      if (!enforcer.may(subjects, 'policy:/', 'READ')) throw new PolicyNotFoundError(policyId);
      if (!enforcer.may(subjects, 'policy:/', 'WRITE')) throw new PolicyNotModifiableError(policyId);
      const saved = await policies.put(policyId, policy, existing.revision);
      accessCache().invalidatePolicy(policyId);
      return { created: false, value: policyJson(saved) };
    }
    const saved = await policies.put(policyId, policy, undefined);
    accessCache().invalidatePolicy(policyId);
    return { created: true, value: policyJson(saved) };
  } catch (e) {
    if (e instanceof RevisionConflict) throw new PolicyConflictError(policyId);
    throw e;
  }
}

export async function deletePolicy(policyId: string, subjects: readonly string[]): Promise<void> {
  const { policy, enforcer } = await readablePolicy(policyId, subjects);
  if (!enforcer.may(subjects, 'policy:/', 'WRITE')) throw new PolicyNotModifiableError(policyId);
  try {
    await policies.delete(policyId, policy.revision);
  } catch (e) {
    if (e instanceof RevisionConflict) throw new PolicyConflictError(policyId);
    throw e;
  }
  accessCache().invalidatePolicy(policyId);
}
