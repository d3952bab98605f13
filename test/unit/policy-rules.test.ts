import { EntityTooLargeError, PolicyInvalidError } from '../../lambdas/core/errors';
import {
  compilePolicy,
  defaultPolicy,
  MAX_POLICY_CHARS,
  MAX_POLICY_ENTRIES,
  MAX_POLICY_SUBJECTS,
  mayCreate,
  type Policy,
  parseCreationRestriction,
  parsePolicy,
  splitResource,
  UNRESTRICTED,
} from '../../lambdas/core/policy';

const subject = { type: 't' };
const granting = { 'thing:/': { grant: ['READ'], revoke: [] } };
const withEntry = (label: string, subjects: Record<string, unknown>, resources: Record<string, unknown>) => ({
  entries: { [label]: { subjects, resources } },
});
/** The description of the PolicyInvalidError that parsing `json` throws. */
const refusal = (json: unknown, policyId = 'ns:p'): string | undefined => {
  try {
    parsePolicy(json, policyId);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyInvalidError);
    return (e as PolicyInvalidError).description;
  }
  throw new Error('the policy was accepted');
};

describe('policy keys (entry labels, subject ids, resources)', () => {
  const keyRule = 'is not valid: it must be 1 to 1024 characters without control characters.';
  const long = (n: number) => `u:${'k'.repeat(n - 2)}`;

  it('an entry label of exactly 1024 characters is accepted, 1025 is refused', () => {
    expect(Object.keys(parsePolicy(withEntry('L'.repeat(1024), { 'u:a': subject }, granting), 'ns:p').entries)).toEqual(['L'.repeat(1024)]);
    expect(refusal(withEntry('L'.repeat(1025), { 'u:a': subject }, granting))).toBe(`The entry label '${'L'.repeat(100)}' ${keyRule}`);
  });

  it('a subject id of exactly 1024 characters is accepted, 1025 is refused', () => {
    expect(Object.keys(parsePolicy(withEntry('A', { [long(1024)]: subject }, granting), 'ns:p').entries.A!.subjects)).toEqual([long(1024)]);
    expect(refusal(withEntry('A', { [long(1025)]: subject }, granting))).toBe(`The subject id '${long(1025).slice(0, 100)}' ${keyRule}`);
  });

  it('a resource of exactly 1024 characters is accepted, 1025 is refused', () => {
    const resource = (n: number) => `thing:/${'r'.repeat(n - 7)}`;
    const ok = parsePolicy(withEntry('A', { 'u:a': subject }, { [resource(1024)]: { grant: ['READ'] } }), 'ns:p');
    expect(Object.keys(ok.entries.A!.resources)).toEqual([resource(1024)]);
    expect(refusal(withEntry('A', { 'u:a': subject }, { [resource(1025)]: { grant: ['READ'] } }))).toBe(
      `The resource '${resource(1025).slice(0, 100)}' ${keyRule}`,
    );
  });

  it('empty labels and subject ids are refused', () => {
    expect(refusal(withEntry('', { 'u:a': subject }, granting))).toBe(`The entry label '' ${keyRule}`);
    expect(refusal(withEntry('A', { '': subject }, granting))).toBe(`The subject id '' ${keyRule}`);
  });

  it('keys holding control characters are refused, whatever their length', () => {
    expect(refusal(withEntry('A\u0001', { 'u:a': subject }, granting))).toBe(`The entry label 'A\u0001' ${keyRule}`);
    expect(refusal(withEntry('A', { 'u:\u001f': subject }, granting))).toBe(`The subject id 'u:\u001f' ${keyRule}`);
    expect(refusal(withEntry('A', { 'u:a': subject }, { 'thing:/\n': { grant: ['READ'] } }))).toBe(`The resource 'thing:/\n' ${keyRule}`);
  });

  it('a resource must have a type before its colon', () => {
    expect(refusal(withEntry('A', { 'u:a': subject }, { ':/x': { grant: ['READ'] } }))).toBe("The resource ':/x' in entry 'A' must look like '<type>:<path>'.");
  });
});

describe('policy subjects and permissions', () => {
  it('a subject type that is not a string is refused; a missing one becomes "generated"', () => {
    expect(refusal(withEntry('A', { 'u:a': { type: 5 } }, granting))).toBe("The 'type' of subject 'u:a' in entry 'A' must be a string.");
    expect(parsePolicy(withEntry('A', { 'u:a': {} }, granting), 'ns:p').entries.A!.subjects['u:a']).toEqual({ type: 'generated' });
  });

  it('missing grant and revoke lists mean no permissions', () => {
    const p = parsePolicy(withEntry('A', { 'u:a': subject }, { 'thing:/': {} }), 'ns:p');
    expect(p.entries.A!.resources['thing:/']).toEqual({ grant: [], revoke: [] });
  });

  it('refuses permissions that are unknown or not strings, naming where they are', () => {
    expect(refusal(withEntry('A', { 'u:a': subject }, { 'thing:/': { grant: ['READ', 'ADMIN'] } }))).toBe(
      `'grant' of resource 'thing:/' in entry 'A' holds the unknown permission "ADMIN"; use READ, WRITE, EXECUTE.`,
    );
    expect(refusal(withEntry('A', { 'u:a': subject }, { 'thing:/': { revoke: [1] } }))).toBe(
      `'revoke' of resource 'thing:/' in entry 'A' holds the unknown permission 1; use READ, WRITE, EXECUTE.`,
    );
  });
});

describe('the policy id in the body', () => {
  it('may be absent or equal to the id in the URL, which the policy takes', () => {
    expect(parsePolicy(withEntry('A', { 'u:a': subject }, granting), 'ns:p').policyId).toBe('ns:p');
    expect(parsePolicy({ policyId: 'ns:p', ...withEntry('A', { 'u:a': subject }, granting) }, 'ns:p').policyId).toBe('ns:p');
  });

  it('a different one is refused, quoting at most its first 100 characters', () => {
    const id = `ns:${'x'.repeat(200)}`;
    expect(refusal({ policyId: id, entries: {} })).toBe(`The policyId in the body ('${id.slice(0, 100)}') does not match the one in the URL ('ns:p').`);
  });
});

describe('policy limits', () => {
  it(`a policy of exactly ${MAX_POLICY_CHARS} JSON characters is accepted, one more is too large`, () => {
    const sized = (n: number) => {
      const json = (pad: string) => withEntry('A', { 'u:a': { type: pad } }, granting);
      const base = JSON.stringify(json('')).length;
      const p = json('p'.repeat(n - base));
      expect(JSON.stringify(p).length).toBe(n);
      return p;
    };
    expect(() => parsePolicy(sized(MAX_POLICY_CHARS), 'ns:p')).not.toThrow();
    expect(() => parsePolicy(sized(MAX_POLICY_CHARS + 1), 'ns:p')).toThrow(EntityTooLargeError);
    expect(() => parsePolicy(sized(MAX_POLICY_CHARS + 1), 'ns:p')).toThrow(expect.objectContaining({ status: 413, error: 'policies:policy.toolarge' }));
  });

  it(`a policy of exactly ${MAX_POLICY_ENTRIES} entries is accepted, one more is refused`, () => {
    const entries = (n: number) => ({
      entries: Object.fromEntries(Array.from({ length: n }, (_, i) => [`E${i}`, { subjects: { 'u:a': subject }, resources: granting }])),
    });
    expect(Object.keys(parsePolicy(entries(MAX_POLICY_ENTRIES), 'ns:p').entries)).toHaveLength(MAX_POLICY_ENTRIES);
    expect(refusal(entries(MAX_POLICY_ENTRIES + 1))).toBe(`A policy may hold at most ${MAX_POLICY_ENTRIES} entries, this one has ${MAX_POLICY_ENTRIES + 1}.`);
  });

  it(`a policy naming exactly ${MAX_POLICY_SUBJECTS} distinct subjects is accepted, one more is refused; repeats count once`, () => {
    const subjects = (from: number, to: number) => Object.fromEntries(Array.from({ length: to - from }, (_, i) => [`u:${from + i}`, subject]));
    const policy = (n: number) => ({
      entries: {
        A: { subjects: subjects(0, n), resources: granting },
        B: { subjects: subjects(0, 10), resources: granting },
      },
    });
    expect(() => parsePolicy(policy(MAX_POLICY_SUBJECTS), 'ns:p')).not.toThrow();
    expect(refusal(policy(MAX_POLICY_SUBJECTS + 1))).toMatch(
      new RegExp(`^A policy may name at most ${MAX_POLICY_SUBJECTS} distinct subjects, this one names ${MAX_POLICY_SUBJECTS + 1}:`),
    );
  });
});

describe("Ditto's default policy", () => {
  it("names the creator's subjects with the type 'the creator' and grants READ and WRITE on thing, policy and message", () => {
    const all = { grant: ['READ', 'WRITE'], revoke: [] };
    expect(defaultPolicy('ns:t', ['u:a', 'u:b'])).toEqual({
      policyId: 'ns:t',
      entries: {
        DEFAULT: {
          subjects: { 'u:a': { type: 'the creator' }, 'u:b': { type: 'the creator' } },
          resources: { 'thing:/': all, 'policy:/': all, 'message:/': all },
        },
      },
    });
  });
});

describe('resource paths', () => {
  it.each([
    ['thing:/a/b/', 'thing', ['a', 'b']],
    ['thing:/ab', 'thing', ['ab']],
    ['message://x//y', 'message', ['x', 'y']],
    ['thing:/', 'thing', []],
    ['thing', 'thing', []],
    [':/a', '', ['a']],
  ])('%s is the type %j with the segments %j', (resource, type, segments) => {
    expect(splitResource(resource)).toEqual({ type, segments });
  });
});

describe('policy compilation', () => {
  const policy = (entries: Policy['entries']): Policy => ({ policyId: 'ns:p', entries });
  const one = (s: string, resources: Record<string, { grant: ('READ' | 'WRITE')[]; revoke: ('READ' | 'WRITE')[] }>) => ({
    subjects: { [s]: { type: 't' } },
    resources,
  });

  it('a subject grants nothing from the very instant of its expiry', () => {
    const expiry = '2030-01-01T00:00:00Z';
    const p = policy({ A: { subjects: { 'u:temp': { type: 't', expiry } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } } });
    expect(compilePolicy(p, Date.parse(expiry) - 1).may(['u:temp'], 'thing:/', 'READ')).toBe(true);
    expect(compilePolicy(p, Date.parse(expiry)).may(['u:temp'], 'thing:/', 'READ')).toBe(false);
  });

  it('entries granting at the same path all count', () => {
    const enforcer = compilePolicy(
      policy({ A: one('u:a', { 'thing:/x/y': { grant: ['READ'], revoke: [] } }), B: one('u:b', { 'thing:/x/y': { grant: ['READ'], revoke: [] } }) }),
    );
    expect(enforcer.may(['u:a'], 'thing:/x/y', 'READ')).toBe(true);
    expect(enforcer.may(['u:b'], 'thing:/x/y', 'READ')).toBe(true);
    expect([...enforcer.readers('thing:/x/y', 'READ').granted].sort()).toEqual(['u:a', 'u:b']);
  });

  it('knows whether some subject is granted a permission anywhere under a resource type', () => {
    const enforcer = compilePolicy(
      policy({
        A: one('u:a', { 'thing:/a': { grant: ['READ'], revoke: [] } }),
        B: one('u:b', { 'thing:/b': { grant: ['WRITE'], revoke: [] }, 'message:/': { grant: [], revoke: ['READ'] } }),
      }),
    );
    expect(enforcer.hasAnyGrant(['u:a'], 'thing', 'READ')).toBe(true);
    expect(enforcer.hasAnyGrant(['u:x', 'u:b'], 'thing', 'WRITE')).toBe(true);
    expect(enforcer.hasAnyGrant(['u:a'], 'thing', 'WRITE')).toBe(false);
    expect(enforcer.hasAnyGrant(['u:b'], 'message', 'READ')).toBe(false);
    expect(enforcer.hasAnyGrant(['u:a'], 'policy', 'READ')).toBe(false);
  });

  it('answers readers per resource and permission', () => {
    const enforcer = compilePolicy(
      policy({ A: one('u:a', { 'thing:/a': { grant: ['READ'], revoke: [] } }), B: one('u:b', { 'thing:/b': { grant: ['READ', 'WRITE'], revoke: [] } }) }),
    );
    expect([...enforcer.readers('thing:/a', 'READ').granted]).toEqual(['u:a']);
    expect([...enforcer.readers('thing:/b', 'READ').granted]).toEqual(['u:b']);
    expect([...enforcer.readers('thing:/a', 'WRITE').granted]).toEqual([]);
    expect([...enforcer.readers('thing:/a', 'READ').granted]).toEqual(['u:a']);
  });
});

describe('entity-creation restriction configuration', () => {
  const message = (json: unknown): string => {
    try {
      parseCreationRestriction(json);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  it('null means unrestricted, like an absent configuration', () => {
    expect(parseCreationRestriction(null)).toBe(UNRESTRICTED);
  });

  it('only revoke rules keep the default grant for everyone', () => {
    const r = parseCreationRestriction({ revoke: [{ namespaces: ['x'] }] });
    expect(r).toEqual({ grant: [{}], revoke: [{ namespaces: ['x'] }] });
    expect(mayCreate(r, 'thing', 'y', ['u:a'])).toBe(true);
    expect(mayCreate(r, 'thing', 'x', ['u:a'])).toBe(false);
  });

  it('keeps each list of a rule as given', () => {
    const rule = { 'resource-types': ['thing', 'policy'], namespaces: ['a.*'], 'auth-subjects': ['u:*'] };
    expect(parseCreationRestriction({ grant: [rule] })).toEqual({ grant: [rule], revoke: [] });
  });

  it.each([
    [{ grant: [], x: 1, y: 2 }, 'Unknown keys in the entity creation restriction: x, y.'],
    [{ grant: {} }, 'grant must be a list of rules.'],
    [{ revoke: 'all' }, 'revoke must be a list of rules.'],
    [{ grant: [null] }, 'grant[0] must be an object.'],
    [{ revoke: [{}, { namespace: ['x'] }] }, "revoke[1] has the unknown key 'namespace' (use resource-types, namespaces, auth-subjects)."],
    [{ grant: [{ 'resource-types': 'thing' }] }, 'grant[0].resource-types must be a list of strings.'],
    [{ grant: [{ 'resource-types': ['thing', 'connection'] }] }, "grant[0].resource-types may hold 'thing' and 'policy' only."],
    [{ grant: [{ namespaces: ['a', 1] }] }, 'grant[0].namespaces must be a list of strings.'],
    [{ grant: [{ 'auth-subjects': [null] }] }, 'grant[0].auth-subjects must be a list of strings.'],
  ])('refuses %j: %s', (json, expected) => {
    expect(message(json)).toBe(expected);
  });

  it('an empty list in a rule matches anything; otherwise any one of its patterns must match', () => {
    const r = parseCreationRestriction({ grant: [{ namespaces: [], 'auth-subjects': ['u:a', 'u:b'] }] });
    expect(mayCreate(r, 'thing', 'any', ['u:b'])).toBe(true);
    expect(mayCreate(r, 'thing', 'any', ['u:a'])).toBe(true);
    expect(mayCreate(r, 'thing', 'any', ['u:c'])).toBe(false);
  });
});
