import fc from 'fast-check';
import { compileLike, matchesLike } from '../../lambdas/core/glob';
import type { DittoError } from '../../lambdas/core/errors';
import { matchesRql, parseRql, type RqlContext, selectRecipients } from '../../lambdas/core/messages';
import { compilePolicy } from '../../lambdas/core/policy';

const context: RqlContext = {
  thingId: 'ns:t',
  namespace: 'ns',
  subject: 'turnOff',
  direction: 'inbox',
  featureId: 'lamp',
  attributes: { room: 'kitchen', floor: 2, tags: { eco: true } },
};

describe('RQL', () => {
  it.each([
    ['eq(subject,"turnOff")', true],
    ["eq(subject,'turnOn')", false],
    ['ne(direction,"outbox")', true],
    ['gt(attributes/floor,1)', true],
    ['ge(attributes/floor,2)', true],
    ['lt(attributes/floor,2)', false],
    ['le(attributes/floor,2)', true],
    ['in(namespace,"a","ns")', true],
    ['like(subject,"turn*")', true],
    ['like(subject,"turn?")', false],
    ['exists(featureId)', true],
    ['exists(attributes/missing)', false],
    ['eq(attributes/tags/eco,true)', true],
    ['and(eq(thingId,"ns:t"),or(eq(subject,"x"),eq(attributes/room,"kitchen")))', true],
    ['not(eq(direction,"inbox"))', false],
    ['gt(attributes/room,1)', false],
  ])('%s -> %s', (filter, expected) => {
    expect(matchesRql(parseRql(filter), context)).toBe(expected);
  });

  it.each([
    '',
    'eq(subject)',
    'foo(subject,1)',
    'eq(unknown,1)',
    'eq(subject,"x"',
    'and()',
    'eq(subject,bare)',
    'like(subject,1)',
    `${'not('.repeat(40)}exists(subject)${')'.repeat(40)}`,
  ])('rejects %s with rql.expression.invalid', (filter) => {
    try {
      parseRql(filter);
      throw new Error('accepted');
    } catch (e) {
      expect((e as DittoError).error).toBe('rql.expression.invalid');
    }
  });
});

describe('recipient selection', () => {
  const enforcer = compilePolicy({
    policyId: 'ns:p',
    entries: {
      A: { subjects: { 'u:a': { type: '' }, 'u:b': { type: '' }, 'u:c': { type: '' } }, resources: { 'message:/': { grant: ['READ'], revoke: [] } } },
      B: { subjects: { 'u:c': { type: '' } }, resources: { 'message:/features/lamp/inbox': { grant: [], revoke: ['READ'] } } },
    },
  });
  const readers = enforcer.readers('message:/features/lamp/inbox/messages/turnOff', 'READ');

  it('keeps readers that pass their filters, drops the sender, duplicates and revoked subjects', () => {
    const picked = selectRecipients(
      [
        { connectionId: '1', subjects: ['u:a'] },
        { connectionId: '1', subjects: ['u:a'] },
        { connectionId: '2', subjects: ['u:b'], namespaces: ['other'] },
        { connectionId: '3', subjects: ['u:b'], filter: 'eq(attributes/room,"kitchen")' },
        { connectionId: '4', subjects: ['u:b'], filter: 'eq(attributes/room,"garage")' },
        { connectionId: '5', subjects: ['u:x'] },
        // u:c is revoked for the inbox: alone or beside a granted subject, the connection is out.
        { connectionId: '6', subjects: ['u:c'] },
        { connectionId: '7', subjects: ['u:a', 'u:c'] },
        { connectionId: 'me', subjects: ['u:a'] },
      ],
      readers,
      { ...context, attributesFor: () => context.attributes },
      'me',
    );
    expect(picked.recipients.map((p) => p.connectionId)).toEqual(['1', '3']);
  });
});

describe('like without backtracking', () => {
  const reference = (pattern: string, value: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      's',
    ).test(value);

  it('agrees with a regular expression on small random patterns and values', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ab*?]{0,8}$/), fc.stringMatching(/^[ab]{0,10}$/), (pattern, value) => {
        expect(matchesLike(compileLike(pattern), value)).toBe(reference(pattern, value));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives up (no match) past its step budget instead of working without bound', () => {
    const pattern = compileLike(`*${'?'.repeat(900)}#*`);
    expect(matchesLike(pattern, 'x'.repeat(50_000))).toBe(false);
    expect(matchesLike(pattern, `${'x'.repeat(900)}#`)).toBe(true);
  });
});

describe('what each RQL operator decides', () => {
  const context = {
    thingId: 'org.acme:lamp',
    namespace: 'org.acme',
    subject: 'turnOff',
    direction: 'inbox' as const,
    featureId: 'light',
    attributes: { floor: 2, room: 'kitchen', tags: ['a'], nested: { deep: 'x' }, nothing: null },
  };
  it.each([
    ['and(eq(subject,"turnOff"),eq(direction,"inbox"))', true],
    ['and(eq(subject,"turnOff"),eq(direction,"outbox"))', false],
    ['and(eq(subject,"other"),eq(direction,"inbox"))', false],
    ['or(eq(subject,"other"),eq(direction,"inbox"))', true],
    ['or(eq(subject,"other"),eq(direction,"outbox"))', false],
    ['not(eq(subject,"turnOff"))', false],
    ['not(eq(subject,"other"))', true],
    ['exists(featureId)', true],
    ['exists(attributes/missing)', false],
    ['exists(attributes/nothing)', true],
    ['exists(attributes/nested/deep)', true],
    ['exists(attributes/room/deeper)', false],
    ['exists(attributes/tags/0)', false],
    ['in(subject,"a","turnOff")', true],
    ['in(subject,"a","b")', false],
    ['in(attributes/floor,1,2)', true],
    ['in(attributes/floor,"2")', false],
    ['eq(attributes/floor,2)', true],
    ['eq(attributes/floor,"2")', false],
    ['ne(attributes/floor,2)', false],
    ['ne(attributes/floor,3)', true],
    ['ne(attributes/missing,3)', true],
    ['gt(attributes/floor,1)', true],
    ['gt(attributes/floor,2)', false],
    ['ge(attributes/floor,2)', true],
    ['ge(attributes/floor,3)', false],
    ['lt(attributes/floor,3)', true],
    ['lt(attributes/floor,2)', false],
    ['le(attributes/floor,2)', true],
    ['le(attributes/floor,1)', false],
    ['gt(attributes/room,"bathroom")', true],
    ['lt(attributes/room,"bathroom")', false],
    ['ge(attributes/room,"kitchen")', true],
    ['le(attributes/room,"kitchen")', true],
    ['lt(attributes/room,"kitchen")', false],
    ['gt(attributes/room,1)', false],
    ['lt(attributes/missing,1)', false],
    ['like(subject,"turn*")', true],
    ['like(subject,"*Off")', true],
    ['like(subject,"turn?ff")', true],
    ['like(subject,"on*")', false],
    ['like(attributes/floor,"2")', false],
    ['eq(attributes/nested/deep,"x")', true],
  ])('%s is %s', (filter, expected) => {
    expect(matchesRql(parseRql(filter), context)).toBe(expected);
  });

  it('reads attributes only through a readable view, and none when there is none', () => {
    expect(matchesRql(parseRql('exists(attributes/room)'), { ...context, attributes: undefined })).toBe(false);
    expect(matchesRql(parseRql('exists(attributes/room)'), { ...context, attributes: 'not an object' })).toBe(false);
  });
});
