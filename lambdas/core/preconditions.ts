/**
 * Conditional requests as Ditto (and RFC 9110, section 13) define them: a strong ETag per entity
 * revision (`"rev:7"`), `If-Match` (`*` or tags, strong comparison) and `If-None-Match` (`*` or
 * tags, weak comparison). A failed condition is 412, except a matching `If-None-Match` on a read,
 * which is 304 Not Modified.
 */
export interface Preconditions {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
}

export type PreconditionOutcome = 'proceed' | 'not-modified' | { readonly failed: 'if-match' | 'if-none-match' };

export const etagOf = (revision: number): string => `"rev:${revision}"`;

/** The listed tags, or '*' (whitespace and commas between them; an empty entry never equals an ETag). */
function tags(header: string): '*' | string[] {
  const text = header.trim();
  if (text === '*') return '*';
  return text.split(',').map((t) => t.trim());
}

const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);

/**
 * `revision` is the current one, undefined when the entity does not exist; `read` for GET/HEAD.
 * If-Match is evaluated first, as RFC 9110 orders them.
 */
export function evaluatePreconditions(conditions: Preconditions, revision: number | undefined, read: boolean): PreconditionOutcome {
  const current = revision === undefined ? undefined : etagOf(revision);
  if (conditions.ifMatch !== undefined) {
    const wanted = tags(conditions.ifMatch);
    const matches = current !== undefined && (wanted === '*' || wanted.some((t) => t === current)); // a weak tag never equals the strong current ETag
    if (!matches) return { failed: 'if-match' };
  }
  if (conditions.ifNoneMatch !== undefined) {
    const unwanted = tags(conditions.ifNoneMatch);
    const matches = current !== undefined && (unwanted === '*' || unwanted.some((t) => opaque(t) === current));
    if (matches) return read ? 'not-modified' : { failed: 'if-none-match' };
  }
  return 'proceed';
}
