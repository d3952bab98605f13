/** The rules of message routing: who receives a message, what an RQL filter costs and decides, what an envelope must agree on. */
import {
  acceptsMessage,
  filterCost,
  MAX_FILTER_COST,
  type MessageFacts,
  matchesRql,
  messageFromEnvelope,
  parseRql,
  type RqlContext,
  type Subscription,
  selectRecipients,
  tokenExpired,
} from '../../lambdas/core/messages';
import type { Readers } from '../../lambdas/core/policy';
import { thrown } from '../support/errors';

const context: RqlContext = { thingId: 'ns:t', namespace: 'ns', subject: 'turnOff', direction: 'inbox', featureId: 'lamp' };
const readers: Readers = { granted: new Set(['u:a', 'u:b']), revoked: new Set() };
const ids = (subscriptions: readonly Subscription[]) => subscriptions.map((s) => s.connectionId);

describe('recipient selection', () => {
  it('an empty namespaces list means every namespace; a non-empty one only those listed', () => {
    expect(acceptsMessage({ connectionId: '1', subjects: ['u:a'], namespaces: [] }, readers, context)).toBe(true);
    expect(acceptsMessage({ connectionId: '1', subjects: ['u:a'], namespaces: ['ns'] }, readers, context)).toBe(true);
    expect(acceptsMessage({ connectionId: '1', subjects: ['u:a'], namespaces: ['other'] }, readers, context)).toBe(false);
  });

  it('a stored filter that does not parse never matches, and does not fail the selection', () => {
    expect(acceptsMessage({ connectionId: '1', subjects: ['u:a'], filter: 'eq(subject' }, readers, context)).toBe(false);
    expect(
      ids(
        selectRecipients(
          [
            { connectionId: '1', subjects: ['u:a'], filter: 'nope(' },
            { connectionId: '2', subjects: ['u:b'] },
          ],
          readers,
          context,
        ).recipients,
      ),
    ).toEqual(['2']);
  });

  it('each connection sees the attributes its own subjects may read', () => {
    const facts: MessageFacts = { ...context, attributesFor: (subjects) => ({ owner: subjects[0] }) };
    const picked = selectRecipients(
      [
        { connectionId: 'a', subjects: ['u:a'], filter: 'eq(attributes/owner,"u:a")' },
        { connectionId: 'b', subjects: ['u:b'], filter: 'eq(attributes/owner,"u:b")' },
      ],
      readers,
      facts,
    );
    expect(ids(picked.recipients)).toEqual(['a', 'b']);
  });

  it('computes the readable attributes once per subject set, however often filters read them', () => {
    const asked: string[][] = [];
    const facts: MessageFacts = {
      ...context,
      attributesFor: (subjects) => {
        asked.push([...subjects]);
        return { room: 'kitchen' };
      },
    };
    const filter = 'and(exists(attributes/room),eq(attributes/room,"kitchen"))';
    const picked = selectRecipients(
      [
        { connectionId: '1', subjects: ['u:a'], filter },
        { connectionId: '2', subjects: ['u:a'], filter },
        { connectionId: '3', subjects: ['u:b'], filter },
      ],
      readers,
      facts,
    );
    expect(ids(picked.recipients)).toEqual(['1', '2', '3']);
    expect(asked).toEqual([['u:a'], ['u:b']]);
  });

  it('subject sets that concatenate alike still see their own attributes', () => {
    const both: Readers = { granted: new Set(['a', 'bc', 'ab', 'c']), revoked: new Set() };
    const facts: MessageFacts = { ...context, attributesFor: (subjects) => ({ owner: subjects.join('+') }) };
    const picked = selectRecipients(
      [
        { connectionId: '1', subjects: ['a', 'bc'], filter: 'eq(attributes/owner,"a+bc")' },
        { connectionId: '2', subjects: ['ab', 'c'], filter: 'eq(attributes/owner,"ab+c")' },
      ],
      both,
      facts,
    );
    expect(ids(picked.recipients)).toEqual(['1', '2']);
  });

  it('a token is valid up to and including its expiry second, and one without expiry never expires', () => {
    expect(tokenExpired({ tokenExpiresAt: 100 }, 100_000)).toBe(false);
    expect(tokenExpired({ tokenExpiresAt: 100 }, 100_001)).toBe(true);
    expect(tokenExpired({}, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('a reader whose token has expired gets nothing and is reported for closing', () => {
    const picked = selectRecipients(
      [
        { connectionId: 'old', subjects: ['u:a'], tokenExpiresAt: 100 },
        { connectionId: 'fresh', subjects: ['u:a'], tokenExpiresAt: 200 },
      ],
      readers,
      context,
      undefined,
      150_000,
    );
    expect(ids(picked.recipients)).toEqual(['fresh']);
    expect(ids(picked.expired)).toEqual(['old']);
  });
});

describe('RQL whitespace', () => {
  it('is allowed around a filter, between arguments and after commas', () => {
    for (const filter of [' eq(subject,"turnOff") ', 'and(eq(subject, "turnOff"), exists(thingId))', 'and( eq(subject,"turnOff") ,\teq(featureId,"lamp") )']) {
      expect(matchesRql(parseRql(filter), context)).toBe(true);
    }
    expect(matchesRql(parseRql('and(eq(subject, "turnOff"), eq(featureId, "other"))'), context)).toBe(false);
  });
});

describe('RQL parsing', () => {
  const description = (filter: string) => {
    const e = thrown(() => parseRql(filter));
    expect(e.error).toBe('rql.expression.invalid');
    return e.description ?? '';
  };

  it('an in() lists exactly the given values', () => {
    expect(parseRql('in(subject,"a",2)')).toEqual({ op: 'in', property: 'subject', values: ['a', 2] });
  });

  it('nests at most 32 levels deep, through the first or any later operand of and/or', () => {
    const first = (levels: number) => `${'and('.repeat(levels)}eq(subject,"x")${')'.repeat(levels)}`;
    const later = (levels: number) => `${'or(eq(subject,"x"),'.repeat(levels)}eq(subject,"x")${')'.repeat(levels)}`;
    expect(() => parseRql(first(32))).not.toThrow();
    expect(description(first(33))).toContain('nesting deeper than 32');
    expect(() => parseRql(later(32))).not.toThrow();
    expect(description(later(33))).toContain('nesting deeper than 32');
  });

  it('quotes at most 40 characters of an unknown operator or a bad value, and 60 of an unknown property', () => {
    expect(description(`${'o'.repeat(50)}(subject,1)`)).toContain(`unknown operator '${'o'.repeat(40)}'`);
    expect(description(`eq(${'p'.repeat(80)},1)`)).toContain(`unknown property '${'p'.repeat(60)}' (use`);
    expect(description(`eq(subject,${'v'.repeat(50)})`)).toContain(`expected a value, got '${'v'.repeat(40)}'`);
  });

  it('a missing value is refused rather than read as a number', () => {
    expect(description('eq(subject,)')).toContain("expected a value, got ''");
    expect(description('eq(subject,abc)')).toContain("expected a value, got 'abc'");
    expect(parseRql('eq(attributes/n,-1.5)')).toEqual({ op: 'eq', property: 'attributes/n', value: -1.5 });
  });

  it('a string ending in a backslash is unterminated', () => {
    expect(description('eq(subject,"a\\')).toContain('unterminated string');
  });
});

describe('RQL cost', () => {
  it.each([
    ['eq(subject,"a")', 2], // operator + one property segment
    ['exists(attributes/a/b)', 4],
    ['in(attributes/x,1,2,3)', 6], // + one per value
    ['like(subject,"ab*")', 5], // + the pattern length
    ['not(eq(subject,"a"))', 3],
    ['and(eq(subject,"a"),eq(thingId,"b"),exists(featureId))', 7],
    ['or(not(eq(subject,"a")),in(namespace,"x"))', 7],
  ])('%s costs %i', (filter, cost) => {
    expect(filterCost(parseRql(filter))).toBe(cost);
  });

  it(`a filter costing exactly ${MAX_FILTER_COST} is accepted, one more is refused with its cost`, () => {
    const within = (values: number) => `in(subject,${Array.from({ length: values }, (_, i) => i).join(',')})`;
    expect(filterCost(parseRql(within(MAX_FILTER_COST - 2)))).toBe(MAX_FILTER_COST);
    const e = thrown(() => parseRql(within(MAX_FILTER_COST - 1)));
    expect(e.error).toBe('rql.expression.invalid');
    expect(e.description).toContain(`it costs ${MAX_FILTER_COST + 1} units`);
  });
});

describe('RQL evaluation', () => {
  it('a path through a null attribute resolves to nothing', () => {
    const nulled = { ...context, attributes: { a: null } };
    expect(matchesRql(parseRql('exists(attributes/a/b)'), nulled)).toBe(false);
    expect(matchesRql(parseRql('ne(attributes/a/b,1)'), nulled)).toBe(true);
  });

  it.each([
    ['lt(subject,"zzz")', true],
    ['le(subject,"zzz")', true],
    ['gt(subject,"zzz")', false],
    ['ge(subject,"zzz")', false],
    ['lt(subject,"turnOff")', false],
    ['ge(subject,"turnOff")', true],
  ])('strings compare in code-unit order: %s is %s for "turnOff"', (filter, expected) => {
    expect(matchesRql(parseRql(filter), context)).toBe(expected);
  });
});

describe('a message from an envelope', () => {
  const topic = (subject: string) => `ns/t/things/live/messages/${subject}`;

  it('quotes at most 100 characters of each subject when topic and path disagree', () => {
    const e = thrown(() => messageFromEnvelope({ topic: topic('s'.repeat(150)), path: `/inbox/messages/${'p'.repeat(150)}`, headers: {} }));
    expect(e.error).toBe('messages:messageformat.invalid');
    expect(e.description).toBe(`The subject of the topic ('${'s'.repeat(100)}') and of the path ('${'p'.repeat(100)}') differ.`);
  });

  it('accepts a feature-id header equal to the path feature, and quotes at most 100 characters of one that differs', () => {
    const path = '/features/lamp/inbox/messages/s';
    expect(messageFromEnvelope({ topic: topic('s'), path, headers: { 'feature-id': 'lamp' } }).featureId).toBe('lamp');
    const e = thrown(() => messageFromEnvelope({ topic: topic('s'), path, headers: { 'feature-id': 'f'.repeat(150) } }));
    expect(e.description).toBe(`The 'feature-id' header ('${'f'.repeat(100)}') does not match the path.`);
  });
});
