import { etagOf, evaluatePreconditions } from '../../lambdas/core/preconditions';

describe('conditional requests (RFC 9110 section 13, as Ditto applies them)', () => {
  it.each([
    // [conditions, current revision, read?, outcome]
    [{ ifMatch: '"rev:3"' }, 3, false, 'proceed'],
    [{ ifMatch: '"rev:1", "rev:3"' }, 3, false, 'proceed'],
    [{ ifMatch: '"rev:2"' }, 3, false, { failed: 'if-match' }],
    [{ ifMatch: 'W/"rev:3"' }, 3, false, { failed: 'if-match' }], // If-Match compares strongly
    [{ ifMatch: '*' }, 3, false, 'proceed'],
    [{ ifMatch: '*' }, undefined, false, { failed: 'if-match' }],
    [{ ifNoneMatch: '*' }, undefined, false, 'proceed'],
    [{ ifNoneMatch: '*' }, 1, false, { failed: 'if-none-match' }],
    [{ ifNoneMatch: '"rev:3"' }, 3, true, 'not-modified'],
    [{ ifNoneMatch: 'W/"rev:3"' }, 3, true, 'not-modified'], // If-None-Match compares weakly
    [{ ifNoneMatch: '"rev:3"' }, 4, true, 'proceed'],
    [{ ifNoneMatch: '"rev:3"' }, 3, false, { failed: 'if-none-match' }],
    [{ ifMatch: '"rev:2"', ifNoneMatch: '"rev:3"' }, 3, true, { failed: 'if-match' }], // If-Match first
    [{}, undefined, false, 'proceed'],
  ] as const)('%j at revision %s (read: %s) -> %j', (conditions, revision, read, outcome) => {
    expect(evaluatePreconditions(conditions, revision, read)).toEqual(outcome);
  });

  it('tags a revision strongly', () => {
    expect(etagOf(7)).toBe('"rev:7"');
  });
});
