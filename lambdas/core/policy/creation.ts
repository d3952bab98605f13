/**
 * Ditto's entity-creation restriction (`ditto.entity-creation`): who may create things and policies
 * in which namespaces. A creation is allowed when some `grant` rule matches and no `revoke` rule
 * does; a rule matches when each of its lists is absent, empty, or has a matching pattern
 * (`*` and `?` wildcards over the whole value). Default: anyone may create anything, as in Ditto.
 */
import { compileLike, matchesLike } from '../glob';

export type CreatableType = 'thing' | 'policy';

export interface CreationRule {
  readonly 'resource-types'?: readonly CreatableType[];
  readonly namespaces?: readonly string[];
  readonly 'auth-subjects'?: readonly string[];
}

export interface CreationRestriction {
  readonly grant: readonly CreationRule[];
  readonly revoke: readonly CreationRule[];
}

export const UNRESTRICTED: CreationRestriction = { grant: [{}], revoke: [] };

const RULE_KEYS = new Set(['resource-types', 'namespaces', 'auth-subjects']);

function stringList(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`${where} must be a list of strings.`);
  return value as string[];
}

function parseRules(value: unknown, where: string): CreationRule[] {
  if (!Array.isArray(value)) throw new Error(`${where} must be a list of rules.`);
  return value.map((rule: unknown, i) => {
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) throw new Error(`${where}[${i}] must be an object.`);
    const r = rule as Record<string, unknown>;
    for (const key of Object.keys(r))
      if (!RULE_KEYS.has(key)) throw new Error(`${where}[${i}] has the unknown key '${key}' (use ${[...RULE_KEYS].join(', ')}).`);
    const types = stringList(r['resource-types'], `${where}[${i}].resource-types`);
    if (types?.some((t) => t !== 'thing' && t !== 'policy')) throw new Error(`${where}[${i}].resource-types may hold 'thing' and 'policy' only.`);
    const namespaces = stringList(r.namespaces, `${where}[${i}].namespaces`);
    const subjects = stringList(r['auth-subjects'], `${where}[${i}].auth-subjects`);
    return {
      ...(types ? { 'resource-types': types as CreatableType[] } : {}),
      ...(namespaces ? { namespaces } : {}),
      ...(subjects ? { 'auth-subjects': subjects } : {}),
    };
  });
}

/** Validates the configuration (JSON with `grant` and `revoke` lists); a mistake fails the start, not a request. */
export function parseCreationRestriction(json: unknown): CreationRestriction {
  if (json === undefined || json === null) return UNRESTRICTED;
  if (typeof json !== 'object' || Array.isArray(json)) throw new Error('The entity creation restriction must be an object with grant and revoke lists.');
  const { grant, revoke, ...rest } = json as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new Error(`Unknown keys in the entity creation restriction: ${Object.keys(rest).join(', ')}.`);
  return { grant: grant === undefined ? UNRESTRICTED.grant : parseRules(grant, 'grant'), revoke: revoke === undefined ? [] : parseRules(revoke, 'revoke') };
}

const anyMatches = (patterns: readonly string[] | undefined, values: readonly string[]): boolean =>
  patterns === undefined || patterns.length === 0 || patterns.some((p) => values.some((v) => matchesLike(compileLike(p), v)));

function matches(rule: CreationRule, type: CreatableType, namespace: string, subjects: readonly string[]): boolean {
  return anyMatches(rule['resource-types'], [type]) && anyMatches(rule.namespaces, [namespace]) && anyMatches(rule['auth-subjects'], subjects);
}

export function mayCreate(restriction: CreationRestriction, type: CreatableType, namespace: string, subjects: readonly string[]): boolean {
  return restriction.grant.some((r) => matches(r, type, namespace, subjects)) && !restriction.revoke.some((r) => matches(r, type, namespace, subjects));
}
