/** Glob patterns (`*`, `?`) as RQL `like` and Ditto's configuration wildcards use them. */
/**
 * `like` patterns (`*` any run, `?` one character) matched without backtracking: the pattern is cut
 * at its stars into segments; the first is anchored at the start, the last at the end, and each one
 * in between is taken at its leftmost match (always safe for globs). The scan position only moves
 * forward, so a match costs at most value length x pattern length, whatever the pattern: a regular
 * expression with many `.*` backtracks exponentially on a near miss.
 */
export interface LikePattern {
  /** The pattern cut at its stars: the first part is a prefix, the last a suffix, the others float. */
  readonly parts: readonly string[];
}

export const compileLike = (pattern: string): LikePattern => ({ parts: pattern.split('*') });

function segmentAt(value: string, at: number, segment: string): boolean {
  if (at + segment.length > value.length) return false;
  for (let i = 0; i < segment.length; i++) if (segment[i] !== '?' && segment[i] !== value[at + i]) return false;
  return true;
}

function findSegment(value: string, from: number, segment: string): number {
  if (!segment.includes('?')) return value.indexOf(segment, from);
  for (let at = from; at + segment.length <= value.length; at++) if (segmentAt(value, at, segment)) return at;
  return -1;
}

export function matchesLike({ parts }: LikePattern, value: string): boolean {
  const prefix = parts[0]!;
  if (parts.length === 1) return value.length === prefix.length && segmentAt(value, 0, prefix);
  const suffix = parts[parts.length - 1]!;
  let pos = prefix.length;
  const end = value.length - suffix.length;
  if (end < pos || !segmentAt(value, 0, prefix) || !segmentAt(value, end, suffix)) return false;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    if (part.length === 0) continue;
    const at = findSegment(value, pos, part);
    if (at < 0 || at + part.length > end) return false; // a later match would end even further right
    pos = at + part.length;
  }
  return true;
}

