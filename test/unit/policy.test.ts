import fc from 'fast-check';
import { PolicyInvalidError } from '../../lambdas/core/errors';
import { compilePolicy, defaultPolicy, isReader, parsePolicy, type Permission, type Policy } from '../../lambdas/core/policy';

type Resources = Record<string, { grant?: Permission[]; revoke?: Permission[] }>;
const entry = (subjects: string[], resources: Resources) => ({
  subjects: Object.fromEntries(subjects.map((s) => [s, { type: 'test' }])),
  resources: Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, { grant: v.grant ?? [], revoke: v.revoke ?? [] }])),
});
const policy = (entries: Record<string, ReturnType<typeof entry>>): Policy => ({ policyId: 'ns:p', entries });

interface Case {
  name: string;
  policy: Policy;
  subjects: string[];
  resource: string;
  permission: Permission;
  may: boolean;
  /** Expected reader decision for a connection with these subjects. */
  reads?: boolean;
}

const cases: Case[] = [
  {
    name: 'grant at the root covers every message',
    policy: policy({ A: entry(['u:a'], { 'message:/': { grant: ['READ', 'WRITE'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/features/lamp/outbox/messages/on',
    permission: 'WRITE',
    may: true,
  },
  {
    name: 'grant narrowed to one subject allows that subject',
    policy: policy({ A: entry(['u:d'], { 'message:/inbox/messages/turnOff': { grant: ['READ'] } }) }),
    subjects: ['u:d'],
    resource: 'message:/inbox/messages/turnOff',
    permission: 'READ',
    may: true,
    reads: true,
  },
  {
    name: 'grant narrowed to one subject does not allow another subject',
    policy: policy({ A: entry(['u:d'], { 'message:/inbox/messages/turnOff': { grant: ['READ'] } }) }),
    subjects: ['u:d'],
    resource: 'message:/inbox/messages/turnOn',
    permission: 'READ',
    may: false,
    reads: false,
  },
  {
    name: 'revoke at a deeper level wins there',
    policy: policy({ A: entry(['u:a'], { 'message:/': { grant: ['READ'] }, 'message:/inbox/messages/secret': { revoke: ['READ'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/inbox/messages/secret',
    permission: 'READ',
    may: false,
    reads: false,
  },
  {
    name: 're-grant below a revoke',
    policy: policy({ A: entry(['u:a'], { 'message:/': { revoke: ['READ'] }, 'message:/inbox/messages/ok': { grant: ['READ'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/inbox/messages/ok',
    permission: 'READ',
    may: true,
    reads: true,
  },
  {
    name: 'a revoke below the resource defeats the unrestricted permission',
    policy: policy({ A: entry(['u:a'], { 'message:/': { grant: ['WRITE'] }, 'message:/inbox/messages/x': { revoke: ['WRITE'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/inbox',
    permission: 'WRITE',
    may: false,
  },
  {
    name: 'a caller with several subjects, one revoked, is denied',
    policy: policy({ A: entry(['u:a', 'g:team'], { 'message:/': { grant: ['READ'] } }), B: entry(['g:team'], { 'message:/inbox': { revoke: ['READ'] } }) }),
    subjects: ['u:a', 'g:team'],
    resource: 'message:/inbox/messages/x',
    permission: 'READ',
    may: false,
    reads: false,
  },
  {
    name: 'several entries are merged per subject',
    policy: policy({ A: entry(['u:a'], { 'message:/inbox': { grant: ['READ'] } }), B: entry(['u:a'], { 'message:/outbox': { grant: ['READ'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/outbox/messages/x',
    permission: 'READ',
    may: true,
    reads: true,
  },
  {
    name: 'message:/inbox does not cover feature messages',
    policy: policy({ A: entry(['u:a'], { 'message:/inbox': { grant: ['READ', 'WRITE'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/features/lamp/inbox/messages/on',
    permission: 'WRITE',
    may: false,
    reads: false,
  },
  {
    name: 'message:/features/<fid> covers the inbox of the feature',
    policy: policy({ A: entry(['u:a'], { 'message:/features/lamp': { grant: ['READ'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/features/lamp/inbox/messages/on',
    permission: 'READ',
    may: true,
    reads: true,
  },
  {
    name: 'message:/features/<fid> covers the outbox of the feature',
    policy: policy({ A: entry(['u:a'], { 'message:/features/lamp': { grant: ['READ'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/features/lamp/outbox/messages/off',
    permission: 'READ',
    may: true,
    reads: true,
  },
  {
    name: 'unknown resource types are ignored',
    policy: policy({ A: entry(['u:a'], { 'strange:/': { grant: ['READ'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/inbox/messages/x',
    permission: 'READ',
    may: false,
    reads: false,
  },
  {
    name: 'thing permissions do not grant message permissions',
    policy: policy({ A: entry(['u:a'], { 'thing:/': { grant: ['READ', 'WRITE'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/inbox/messages/x',
    permission: 'WRITE',
    may: false,
  },
  {
    name: 'revoke beats grant at the same level',
    policy: policy({ A: entry(['u:a'], { 'message:/inbox': { grant: ['READ'] } }), B: entry(['u:a'], { 'message:/inbox': { revoke: ['READ'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/inbox/messages/x',
    permission: 'READ',
    may: false,
    reads: false,
  },
  {
    name: 'subjects containing slashes match as deeper levels',
    policy: policy({ A: entry(['u:a'], { 'message:/inbox/messages/ask': { grant: ['WRITE'] } }) }),
    subjects: ['u:a'],
    resource: 'message:/inbox/messages/ask/question',
    permission: 'WRITE',
    may: true,
  },
  {
    name: 'a subject without any entry has no permission',
    policy: policy({ A: entry(['u:a'], { 'message:/': { grant: ['READ'] } }) }),
    subjects: ['u:other'],
    resource: 'message:/inbox/messages/x',
    permission: 'READ',
    may: false,
    reads: false,
  },
];

describe('policy evaluation', () => {
  it.each(cases)('$name', (c) => {
    const enforcer = compilePolicy(c.policy);
    expect(enforcer.may(c.subjects, c.resource, c.permission)).toBe(c.may);
    if (c.reads !== undefined) expect(isReader(enforcer.readers(c.resource, c.permission), c.subjects)).toBe(c.reads);
  });

  it('lists granted and revoked readers at a resource', () => {
    const enforcer = compilePolicy(
      policy({ A: entry(['u:a', 'u:b'], { 'message:/': { grant: ['READ'] } }), B: entry(['u:b'], { 'message:/inbox': { revoke: ['READ'] } }) }),
    );
    const readers = enforcer.readers('message:/inbox/messages/x', 'READ');
    expect([...readers.granted]).toEqual(['u:a']);
    expect([...readers.revoked]).toEqual(['u:b']);
  });

  it('finds the subjects that may write the policy (lock-out prevention)', () => {
    const enforcer = compilePolicy(policy({ A: entry(['u:a'], { 'policy:/': { grant: ['WRITE'] } }), B: entry(['u:b'], { 'policy:/': { grant: ['READ'] } }) }));
    expect(enforcer.subjectsWith('policy:/', 'WRITE')).toEqual(['u:a']);
  });

  it("builds Ditto's default policy granting the creator everything", () => {
    const enforcer = compilePolicy(defaultPolicy('ns:t', ['u:me']));
    for (const r of ['thing:/', 'policy:/', 'message:/features/x/inbox/messages/y']) {
      expect(enforcer.may(['u:me'], r, 'READ')).toBe(true);
      expect(enforcer.may(['u:me'], r, 'WRITE')).toBe(true);
    }
  });
});

describe('policy validation', () => {
  it.each([
    ['not an object', 5],
    ['no entries', {}],
    ['entry not an object', { entries: { A: 1 } }],
    ['entry without subjects', { entries: { A: { resources: {} } } }],
    ['unknown permission', { entries: { A: { subjects: { 'u:a': { type: 'x' } }, resources: { 'message:/': { grant: ['FLY'], revoke: [] } } } } }],
    ['resource without a type', { entries: { A: { subjects: { 'u:a': { type: 'x' } }, resources: { '/': { grant: [], revoke: [] } } } } }],
    ['mismatched policyId', { policyId: 'ns:other', entries: {} }],
  ])('rejects %s with policies:policy.invalid', (_name, json) => {
    expect(() => parsePolicy(json, 'ns:p')).toThrow(PolicyInvalidError);
  });

  it('accepts EXECUTE and keeps it', () => {
    const p = parsePolicy({ entries: { A: { subjects: { 'u:a': { type: 'x' } }, resources: { 'message:/': { grant: ['EXECUTE'], revoke: [] } } } } }, 'ns:p');
    expect(p.entries.A!.resources['message:/']!.grant).toEqual(['EXECUTE']);
  });
});

describe('policy invariants (property-based)', () => {
  const subjectArb = fc.constantFrom('u:a', 'u:b', 'u:c');
  const segmentArb = fc.constantFrom('inbox', 'outbox', 'messages', 'features', 'lamp', 'x', 'y');
  const pathArb = fc.array(segmentArb, { maxLength: 4 }).map((s) => `message:/${s.join('/')}`);
  const permArb = fc.constantFrom<Permission>('READ', 'WRITE');
  const grantOrRevoke = fc.record({ subject: subjectArb, resource: pathArb, permission: permArb, revoke: fc.boolean() });
  const buildPolicy = (rules: { subject: string; resource: string; permission: Permission; revoke: boolean }[]): Policy => ({
    policyId: 'ns:p',
    entries: Object.fromEntries(
      rules.map((r, i) => [`E${i}`, entry([r.subject], { [r.resource]: r.revoke ? { revoke: [r.permission] } : { grant: [r.permission] } })]),
    ),
  });

  it('adding a revoke never widens access', () => {
    fc.assert(
      fc.property(
        fc.array(grantOrRevoke, { maxLength: 8 }),
        subjectArb,
        pathArb,
        pathArb,
        permArb,
        fc.array(subjectArb, { minLength: 1, maxLength: 2 }),
        (rules, s, revokeAt, resource, p, caller) => {
          const before = compilePolicy(buildPolicy(rules));
          const after = compilePolicy(buildPolicy([...rules, { subject: s, resource: revokeAt, permission: p, revoke: true }]));
          if (after.may(caller, resource, p)) expect(before.may(caller, resource, p)).toBe(true);
          if (isReader(after.readers(resource, p), caller)) expect(isReader(before.readers(resource, p), caller)).toBe(true);
        },
      ),
    );
  });

  it('adding a grant never narrows access', () => {
    fc.assert(
      fc.property(
        fc.array(grantOrRevoke, { maxLength: 8 }),
        subjectArb,
        pathArb,
        pathArb,
        permArb,
        fc.array(subjectArb, { minLength: 1, maxLength: 2 }),
        (rules, s, grantAt, resource, p, caller) => {
          const before = compilePolicy(buildPolicy(rules));
          // A grant in its own entry: the same level may already hold a revoke, which still wins.
          const after = compilePolicy(buildPolicy([...rules, { subject: s, resource: grantAt, permission: p, revoke: false }]));
          if (before.may(caller, resource, p)) expect(after.may(caller, resource, p)).toBe(true);
        },
      ),
    );
  });

  it('may and readers agree for single-subject callers where no revoke lies below the resource', () => {
    fc.assert(
      fc.property(fc.array(grantOrRevoke, { maxLength: 8 }), subjectArb, pathArb, permArb, (rules, caller, resource, p) => {
        const below = (r: string) => r !== resource && r.startsWith(resource.endsWith('/') ? resource : `${resource}/`);
        fc.pre(!rules.some((r) => r.revoke && r.subject === caller && r.permission === p && below(r.resource)));
        const enforcer = compilePolicy(buildPolicy(rules));
        expect(isReader(enforcer.readers(resource, p), [caller])).toBe(enforcer.may([caller], resource, p));
      }),
    );
  });
});

describe('subject expiry', () => {
  const policy = (expiry: string) =>
    parsePolicy(
      {
        entries: {
          A: { subjects: { 'u:temp': { type: 't', expiry }, 'u:admin': { type: 't' } }, resources: { 'message:/': { grant: ['READ', 'WRITE'], revoke: [] } } },
        },
      },
      'ns:p',
    );

  it('grants until the expiry and nothing from then on (reading and routing alike)', () => {
    const p = policy('2030-01-01T00:00:00Z');
    const before = compilePolicy(p, Date.parse('2029-12-31T23:59:59Z'));
    const after = compilePolicy(p, Date.parse('2030-01-01T00:00:01Z'));
    expect(before.may(['u:temp'], 'message:/inbox/messages/x', 'WRITE')).toBe(true);
    expect(after.may(['u:temp'], 'message:/inbox/messages/x', 'WRITE')).toBe(false);
    expect([...after.readers('message:/inbox/messages/x', 'READ').granted]).toEqual(['u:admin']);
  });

  it('refuses an expiry that is not a timestamp', () => {
    expect(() => policy('next tuesday')).toThrow(expect.objectContaining({ error: 'policies:policy.invalid' }));
  });
});

describe('who can still change a policy (the lock-out rule)', () => {
  const entry = (subject: string, resources: Record<string, { grant?: string[]; revoke?: string[] }>) => ({
    subjects: { [subject]: { type: 't' } },
    resources: Object.fromEntries(Object.entries(resources).map(([r, g]) => [r, { grant: g.grant ?? [], revoke: g.revoke ?? [] }])),
  });
  const writers = (entries: Record<string, ReturnType<typeof entry>>) =>
    compilePolicy({ policyId: 'ns:p', entries } as Parameters<typeof compilePolicy>[0]).subjectsWith('policy:/', 'WRITE');

  it('counts a subject granted WRITE on policy:/', () => {
    expect(writers({ A: entry('u:a', { 'policy:/': { grant: ['READ', 'WRITE'] } }) })).toEqual(['u:a']);
  });

  it('does not count a subject whose WRITE on policy:/ is revoked by another entry', () => {
    expect(writers({ A: entry('u:a', { 'policy:/': { grant: ['WRITE'] } }), B: entry('u:a', { 'policy:/': { revoke: ['WRITE'] } }) })).toEqual([]);
  });

  it('does not count a subject whose WRITE is revoked anywhere below policy:/ (Ditto: unrestricted WRITE)', () => {
    expect(writers({ A: entry('u:a', { 'policy:/': { grant: ['WRITE'] }, 'policy:/entries': { revoke: ['WRITE'] } }) })).toEqual([]);
    expect(
      writers({
        A: entry('u:a', { 'policy:/': { grant: ['WRITE'] }, 'policy:/entries/B': { revoke: ['WRITE'] } }),
        B: entry('u:b', { 'policy:/': { grant: ['WRITE'] } }),
      }),
    ).toEqual(['u:b']);
  });

  it('does not count READ, or WRITE on another resource', () => {
    expect(writers({ A: entry('u:a', { 'policy:/': { grant: ['READ'] }, 'thing:/': { grant: ['WRITE'] } }) })).toEqual([]);
  });
});
