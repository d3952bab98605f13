/** Small shared rules: the like-pattern step budget, entity ids, conditional requests, the concurrency limiter. */
import { Limiter } from '../../lambdas/core/collections';
import { compileLike, LIKE_STEP_BUDGET, matchesLike } from '../../lambdas/core/glob';
import { isNamespace, parseNamespacedId } from '../../lambdas/core/ids';
import { evaluatePreconditions } from '../../lambdas/core/preconditions';

describe('the like step budget', () => {
  // A segment with '?' is tried at each position; here every miss compares 999 characters and
  // costs 1000 steps (the comparisons made plus the failing one), 1000 misses cost the whole budget.
  const floating = `?${'a'.repeat(998)}b`;
  const value = (misses: number) => `${'a'.repeat(998 + misses)}ab`;
  const like = (pattern: string, v: string) => matchesLike(compileLike(pattern), v);

  it(`a search costing exactly the budget (${LIKE_STEP_BUDGET} steps) still matches, one miss more does not`, () => {
    expect(like(`*${floating}*`, value(1000))).toBe(true);
    expect(like(`*${floating}*`, value(1001))).toBe(false);
    expect(like(`*${floating}*`, value(2000))).toBe(false);
  });

  it('an empty segment between two stars costs nothing', () => {
    expect(like(`**${floating}*`, value(1000))).toBe(true);
  });

  it('a segment without ? is found by plain search, costing the rest of the value from where its search starts', () => {
    const plain = `${'a'.repeat(999)}b`;
    // Tried position by position, it would cost as much as the floating segment: one miss over budget.
    expect(like(`*${plain}*`, value(1001))).toBe(true);
    // 'y' costs the 1999 characters after the prefix 'x', the floating segment's 998 misses 998_000: 999_999 in all.
    expect(like(`x*y*${floating}*`, `xy${'a'.repeat(1997)}b`)).toBe(true);
  });
});

describe('entity ids', () => {
  it('a namespace option must not be empty', () => {
    expect(isNamespace('')).toBe(false);
    expect(isNamespace('org.acme')).toBe(true);
  });

  it('an id of exactly 256 characters is accepted, 257 is refused', () => {
    const id = (length: number) => `ns:${'n'.repeat(length - 3)}`;
    expect(parseNamespacedId(id(256))).toEqual({ namespace: 'ns', name: 'n'.repeat(253) });
    expect(parseNamespacedId(id(257))).toBeUndefined();
  });
});

describe('conditional requests', () => {
  it('a wildcard surrounded by whitespace is still the wildcard', () => {
    expect(evaluatePreconditions({ ifMatch: ' * ' }, 3, false)).toBe('proceed');
    expect(evaluatePreconditions({ ifNoneMatch: ' * ' }, 3, true)).toBe('not-modified');
  });

  it('If-None-Match matches when any listed tag is current, and stray commas are ignored', () => {
    expect(evaluatePreconditions({ ifNoneMatch: '"rev:2", "rev:3"' }, 3, true)).toBe('not-modified');
    expect(evaluatePreconditions({ ifNoneMatch: '"rev:3",,' }, 3, false)).toEqual({ failed: 'if-none-match' });
    expect(evaluatePreconditions({ ifMatch: ',"rev:3",' }, 3, false)).toBe('proceed');
    expect(evaluatePreconditions({ ifMatch: ',' }, 3, false)).toEqual({ failed: 'if-match' });
  });
});

describe('the limiter', () => {
  it('frees a slot when a task finishes: a later task starts at once', async () => {
    const limiter = new Limiter(1);
    await limiter.run(async () => 'first');
    await limiter.run(async () => 'second');
    let started = false;
    const third = limiter.run(async () => {
      started = true;
    });
    expect(started).toBe(true);
    await third;
  });

  it('runs at most its limit at once; the next waits for a slot', async () => {
    const limiter = new Limiter(1);
    let release = () => {};
    const first = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
    let started = false;
    const second = limiter.run(async () => {
      started = true;
    });
    await Promise.resolve();
    expect(started).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(started).toBe(true);
  });
});
