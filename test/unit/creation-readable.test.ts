import { chunks, inPool, isRecord, Limiter } from '../../lambdas/core/collections';
import { compilePolicy, mayCreate, parseCreationRestriction, readableView, UNRESTRICTED } from '../../lambdas/core/policy';

describe("Ditto's entity-creation restriction", () => {
  const reserved = parseCreationRestriction({
    grant: [{}],
    revoke: [
      { namespaces: ['reserved.*'], 'auth-subjects': ['local:user-*'] },
      { 'resource-types': ['policy'], namespaces: ['things.only'] },
    ],
  });

  it('lets anyone create anything by default', () => {
    expect(parseCreationRestriction(undefined)).toEqual(UNRESTRICTED);
    expect(mayCreate(UNRESTRICTED, 'thing', 'any', ['x:y'])).toBe(true);
  });

  it.each([
    ['thing', 'reserved.a', ['local:user-1'], false], // revoked: namespace and subject match
    ['thing', 'reserved.a', ['local:admin-1'], true], // subject does not match the revoke
    ['thing', 'reserved.a', ['local:admin-1', 'local:user-2'], false], // any subject matching counts
    ['thing', 'open.a', ['local:user-1'], true],
    ['policy', 'things.only', ['local:admin'], false], // revoked for policies only
    ['thing', 'things.only', ['local:admin'], true],
  ] as const)('%s in %s by %j -> %s', (type, namespace, subjects, expected) => {
    expect(mayCreate(reserved, type, namespace, subjects)).toBe(expected);
  });

  it('creates nothing when no grant rule matches, and matches ? as exactly one character', () => {
    const only = parseCreationRestriction({ grant: [{ namespaces: ['org.acme.?'], 'resource-types': ['thing'] }] });
    expect(mayCreate(only, 'thing', 'org.acme.a', ['x:y'])).toBe(true);
    expect(mayCreate(only, 'thing', 'org.acme.ab', ['x:y'])).toBe(false);
    expect(mayCreate(only, 'policy', 'org.acme.a', ['x:y'])).toBe(false);
    expect(mayCreate(parseCreationRestriction({ grant: [] }), 'thing', 'a', ['x:y'])).toBe(false);
  });

  it.each([
    ['not an object', []],
    ['unknown top-level keys', { grant: [], extra: 1 }],
    ['grant not a list', { grant: {} }],
    ['a rule that is not an object', { grant: [1] }],
    ['an unknown rule key', { grant: [{ namespace: ['x'] }] }],
    ['an unknown resource type', { grant: [{ 'resource-types': ['connection'] }] }],
    ['patterns that are not strings', { revoke: [{ namespaces: [1] }] }],
  ])('refuses a configuration with %s', (_name, json) => {
    expect(() => parseCreationRestriction(json)).toThrow();
  });
});

describe('the readable view of attributes', () => {
  const enforcer = compilePolicy({
    policyId: 'ns:p',
    entries: {
      ALL: { subjects: { 'u:all': { type: '' } }, resources: { 'thing:/': { grant: ['READ'], revoke: [] } } },
      SOME: {
        subjects: { 'u:some': { type: '' } },
        resources: { 'thing:/attributes': { grant: ['READ'], revoke: [] }, 'thing:/attributes/secret': { grant: [], revoke: ['READ'] } },
      },
      ONE: { subjects: { 'u:one': { type: '' } }, resources: { 'thing:/attributes/a/b': { grant: ['READ'], revoke: [] } } },
    },
  });
  const attributes = { a: { b: 1, c: 2 }, secret: 'k', d: 3 };

  it('is everything where READ is unrestricted', () => {
    expect(readableView(enforcer, ['u:all'], 'thing:/attributes', attributes)).toEqual(attributes);
  });

  it('drops what is revoked below a grant, and keeps only the granted branch', () => {
    expect(readableView(enforcer, ['u:some'], 'thing:/attributes', attributes)).toEqual({ a: { b: 1, c: 2 }, d: 3 });
    expect(readableView(enforcer, ['u:one'], 'thing:/attributes', attributes)).toEqual({ a: { b: 1 } });
  });

  it('is undefined when nothing is readable or nothing is there', () => {
    expect(readableView(enforcer, ['u:none'], 'thing:/attributes', attributes)).toBeUndefined();
    expect(readableView(enforcer, ['u:one'], 'thing:/attributes', { d: 3 })).toBeUndefined();
    expect(readableView(enforcer, ['u:all'], 'thing:/attributes', undefined)).toBeUndefined();
    expect(readableView(enforcer, ['u:none'], 'thing:/attributes', 'a string')).toBeUndefined();
  });
});

describe('collections', () => {
  it('tells records from arrays, null and primitives', () => {
    expect([{}, { a: 1 }].every(isRecord)).toBe(true);
    expect([[], null, 1, 'x', undefined].some(isRecord)).toBe(false);
  });

  it('cuts into chunks of at most the size, in order', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).toEqual([]);
  });

  it('runs every item with at most the limit in flight, and the limiter serves waiters in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    await inPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      done.push(n);
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const limiter = new Limiter(1);
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((n) => limiter.run(async () => order.push(n))));
    expect(order).toEqual([1, 2, 3]);
  });
});
