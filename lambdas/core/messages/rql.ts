/**
 * A small RQL (Ditto's filter language) for message subscriptions: parse once at
 * START-SEND-MESSAGES (invalid -> rql.expression.invalid), evaluate per delivery.
 */
import { RqlInvalidError } from '../errors';
import { compileLike, type LikePattern, matchesLike } from '../glob';

export type RqlValue = string | number | boolean | null;
export type RqlNode =
  | { readonly op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; readonly property: string; readonly value: RqlValue }
  | { readonly op: 'like'; readonly property: string; readonly value: string; readonly like: LikePattern }
  | { readonly op: 'in'; readonly property: string; readonly values: readonly RqlValue[] }
  | { readonly op: 'exists'; readonly property: string }
  | { readonly op: 'and' | 'or'; readonly children: readonly RqlNode[] }
  | { readonly op: 'not'; readonly child: RqlNode };

/** What a filter sees of a message. */
export interface RqlContext {
  readonly thingId: string;
  readonly namespace: string;
  readonly subject: string;
  readonly direction: string;
  readonly featureId?: string;
  readonly attributes?: unknown;
}

export const MAX_FILTER_LENGTH = 4096;
const MAX_DEPTH = 32;
const FIELDS = new Set(['thingId', 'namespace', 'subject', 'featureId', 'direction', 'attributes']);
const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'like']);

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): RqlNode {
    const node = this.query(0);
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail(`unexpected '${this.text.slice(this.pos, this.pos + 20)}'`);
    return node;
  }

  private fail(why: string): never {
    throw new RqlInvalidError(`Invalid RQL at position ${this.pos}: ${why}. Example: and(eq(direction,"inbox"),like(subject,"turn*")).`);
  }

  private skipSpace(): void {
    while (/\s/.test(this.text.charAt(this.pos))) this.pos++; // '' past the end
  }

  private expect(char: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== char) this.fail(`expected '${char}'`);
    this.pos++;
  }

  private word(): string {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.text.length && !/[\s(),"']/.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private query(depth: number): RqlNode {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const op = this.word();
    if (op === '') this.fail('expected an operator');
    this.expect('(');
    let node: RqlNode;
    if (COMPARISONS.has(op)) {
      const property = this.property();
      this.expect(',');
      const value = this.value();
      if (op === 'like') {
        if (typeof value !== 'string') this.fail("'like' needs a string pattern");
        node = { op: 'like', property, value, like: compileLike(value) };
      } else {
        node = { op: op as 'eq', property, value };
      }
    } else if (op === 'in') {
      const property = this.property();
      const values: RqlValue[] = [];
      do {
        this.expect(',');
        values.push(this.value());
      } while (this.peek() === ',');
      node = { op: 'in', property, values };
    } else if (op === 'exists') {
      node = { op: 'exists', property: this.property() };
    } else if (op === 'and' || op === 'or') {
      const children = [this.query(depth + 1)];
      while (this.peek() === ',') {
        this.pos++;
        children.push(this.query(depth + 1));
      }
      node = { op, children };
    } else if (op === 'not') {
      node = { op: 'not', child: this.query(depth + 1) };
    } else {
      this.fail(`unknown operator '${op.slice(0, 40)}'`);
    }
    this.expect(')');
    return node;
  }

  private peek(): string | undefined {
    this.skipSpace();
    return this.text[this.pos];
  }

  private property(): string {
    const property = this.word();
    const root = property.split('/')[0]!;
    if (!FIELDS.has(root) || (root !== 'attributes' && property !== root) || property.endsWith('/')) {
      this.fail(`unknown property '${property.slice(0, 60)}' (use thingId, namespace, subject, featureId, direction or attributes/<path>)`);
    }
    return property;
  }

  private value(): RqlValue {
    this.skipSpace();
    const quote = this.text[this.pos];
    if (quote === '"' || quote === "'") {
      this.pos++;
      let out = '';
      while (this.pos < this.text.length && this.text[this.pos] !== quote) {
        if (this.text[this.pos] === '\\') this.pos++;
        // Stryker disable next-line StringLiteral: only a backslash ending the text reads past it, and that string is refused as unterminated
        out += this.text[this.pos] ?? '';
        this.pos++;
      }
      if (this.pos >= this.text.length) this.fail('unterminated string');
      this.pos++;
      return out;
    }
    const word = this.word();
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    if (word !== '' && Number.isFinite(Number(word))) return Number(word);
    return this.fail(`expected a value, got '${word.slice(0, 40)}'`);
  }
}

/**
 * What a filter may cost to evaluate against one message, in units of "one comparison": each
 * operator costs 1, each property segment 1, each `in` value 1, and a `like` its pattern length
 * (its worst-case work per character of the value). Checked at START-SEND-MESSAGES, so every
 * delivery's filter work is bounded by MAX_FILTER_COST x the length of the values it reads.
 */
export const MAX_FILTER_COST = 1000;

export function filterCost(node: RqlNode): number {
  switch (node.op) {
    case 'and':
    case 'or':
      return 1 + node.children.reduce((sum, c) => sum + filterCost(c), 0);
    case 'not':
      return 1 + filterCost(node.child);
    case 'in':
      return 1 + node.property.split('/').length + node.values.length;
    case 'like':
      return 1 + node.property.split('/').length + node.value.length;
    default:
      return 1 + node.property.split('/').length;
  }
}

export function parseRql(text: string): RqlNode {
  if (text.length > MAX_FILTER_LENGTH) throw new RqlInvalidError(`A filter may be at most ${MAX_FILTER_LENGTH} characters long.`);
  const node = new Parser(text).parse();
  const cost = filterCost(node);
  if (cost > MAX_FILTER_COST) {
    throw new RqlInvalidError(
      `The filter is too expensive to evaluate: it costs ${cost} units, at most ${MAX_FILTER_COST} are allowed (1 per operator, property segment and 'in' value; a 'like' pattern costs its length).`,
    );
  }
  return node;
}

function resolve(context: RqlContext, property: string): unknown {
  if (!property.startsWith('attributes')) return (context as unknown as Record<string, unknown>)[property];
  let current: unknown = context.attributes;
  for (const segment of property.split('/').slice(1)) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function compare(actual: unknown, expected: RqlValue): number | undefined {
  if (typeof actual === 'number' && typeof expected === 'number') return actual - expected;
  if (typeof actual === 'string' && typeof expected === 'string') return actual < expected ? -1 : actual > expected ? 1 : 0;
  return undefined;
}

export function matchesRql(node: RqlNode, context: RqlContext): boolean {
  switch (node.op) {
    case 'and':
      return node.children.every((c) => matchesRql(c, context));
    case 'or':
      return node.children.some((c) => matchesRql(c, context));
    case 'not':
      return !matchesRql(node.child, context);
    case 'exists':
      return resolve(context, node.property) !== undefined;
    case 'in': {
      const actual = resolve(context, node.property);
      return node.values.some((v) => actual === v);
    }
    case 'eq':
      return resolve(context, node.property) === node.value;
    case 'ne':
      return resolve(context, node.property) !== node.value;
    case 'like': {
      const actual = resolve(context, node.property);
      return typeof actual === 'string' && matchesLike(node.like, actual);
    }
    default: {
      const c = compare(resolve(context, node.property), node.value);
      if (c === undefined) return false;
      return node.op === 'gt' ? c > 0 : node.op === 'ge' ? c >= 0 : node.op === 'lt' ? c < 0 : c <= 0;
    }
  }
}
