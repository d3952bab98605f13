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

/**
 * Character comparisons one match may make. A pattern of many `?` against a long value could
 * otherwise cost pattern length x value length; past the budget the value does not match.
 */
export const LIKE_STEP_BUDGET = 1_000_000;

class Steps {
  left = LIKE_STEP_BUDGET;
  spend(n: number): void {
    this.left -= n;
  }
}

/** Callers only ask where the segment fits inside the value. */
function segmentAt(value: string, at: number, segment: string, steps?: Steps): boolean {
  let i = 0;
  while (i < segment.length && (segment[i] === '?' || segment[i] === value[at + i])) i++;
  steps?.spend(i + 1);
  return i === segment.length;
}

function findSegment(value: string, from: number, segment: string, steps: Steps): number {
  if (!segment.includes('?')) {
    steps.spend(value.length - from);
    return value.indexOf(segment, from);
  }
  // Stryker disable next-line ArithmeticOperator: scanning past the end can only fail, or find a match ending after `end`, which the caller refuses
  for (let at = from; at + segment.length <= value.length; at++) {
    if (segmentAt(value, at, segment, steps)) return at;
    if (steps.left < 0) return -1;
  }
  return -1;
}

export function matchesLike({ parts }: LikePattern, value: string): boolean {
  const steps = new Steps();
  const prefix = parts[0]!;
  if (parts.length === 1) return value.length === prefix.length && segmentAt(value, 0, prefix);
  const suffix = parts[parts.length - 1]!;
  let pos = prefix.length;
  const end = value.length - suffix.length;
  if (end < pos || !segmentAt(value, 0, prefix) || !segmentAt(value, end, suffix)) return false;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    if (part.length === 0) continue;
    const at = findSegment(value, pos, part, steps);
    if (at < 0 || at + part.length > end) return false; // a later match would end even further right
    pos = at + part.length;
  }
  return true;
}
