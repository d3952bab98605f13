/**
 * Counts DynamoDB work by instrumenting the real clients with SDK middleware: operations, consumed
 * capacity (ReturnConsumedCapacity is switched on by the middleware) and a timeline of calls and
 * Management API posts, from which the sequential round trips before the first delivery follow.
 */
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { managementApiClient } from '../../lambdas/gateway/connections';
import { documentClient } from '../../lambdas/store/client';
import { nowMs } from './stats';

export interface Call {
  readonly op: string;
  readonly start: number;
  readonly end: number;
  readonly rcu: number;
  readonly wcu: number;
  readonly items: number;
}

export class Meter {
  calls: Call[] = [];
  posts: { start: number; end: number }[] = [];

  install(): void {
    documentClient().middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        const op = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        if (op !== 'ListTables' && op !== 'CreateTable') input.ReturnConsumedCapacity = 'TOTAL';
        const start = nowMs();
        const result = await next(args);
        const out = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[]; ScannedCount?: number; Count?: number; Item?: unknown };
        const caps = out.ConsumedCapacity === undefined ? [] : Array.isArray(out.ConsumedCapacity) ? out.ConsumedCapacity : [out.ConsumedCapacity];
        let rcu = 0;
        let wcu = 0;
        for (const c of caps) {
          rcu += c.ReadCapacityUnits ?? 0;
          wcu += c.WriteCapacityUnits ?? 0;
          // DynamoDB Local reports only CapacityUnits: attribute them by the operation's kind.
          if (c.ReadCapacityUnits === undefined && c.WriteCapacityUnits === undefined && c.CapacityUnits !== undefined) {
            if (/Get|Query|Scan/.test(op)) rcu += c.CapacityUnits;
            else wcu += c.CapacityUnits;
          }
        }
        const items = out.ScannedCount ?? (out.Item !== undefined ? 1 : 0);
        this.calls.push({ op, start, end: nowMs(), rcu, wcu, items });
        return result;
      },
      { step: 'initialize', name: 'benchMeter' },
    );
    managementApiClient().middlewareStack.add(
      (next) => async (args) => {
        const start = nowMs();
        const result = await next(args);
        this.posts.push({ start, end: nowMs() });
        return result;
      },
      { step: 'initialize', name: 'benchPostMeter' },
    );
  }

  private resetAt = 0;

  reset(): void {
    this.calls = [];
    this.posts = [];
    this.resetAt = nowMs();
  }

  /** Sequential DynamoDB round trips on the way to the first delivery: waves of calls that had to wait for an earlier one. */
  roundTripsBeforeFirstPost(): number {
    const firstPost = this.posts.filter((p) => p.start >= this.resetAt).reduce((m, p) => Math.min(m, p.start), Infinity);
    const before = this.calls.filter((c) => c.start >= this.resetAt && c.end <= firstPost).sort((a, b) => a.start - b.start);
    let waves = 0;
    let waveEnd = -Infinity;
    for (const c of before) {
      if (c.start >= waveEnd) {
        waves++;
        waveEnd = c.end;
      } else waveEnd = Math.max(waveEnd, c.end);
    }
    return waves;
  }

  /** Most `op` calls in flight at once since the last reset. */
  peakInFlight(op: string): number {
    const edges = this.calls
      .filter((c) => c.op === op)
      .flatMap(
        (c) =>
          [
            [c.start, 1],
            [c.end, -1],
          ] as const,
      );
    edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // an end before a start at the same instant
    let inFlight = 0;
    let peak = 0;
    for (const [, delta] of edges) {
      inFlight += delta;
      peak = Math.max(peak, inFlight);
    }
    return peak;
  }

  totals(): { ops: number; rcu: number; wcu: number; items: number; byOp: Record<string, number> } {
    const byOp: Record<string, number> = {};
    for (const c of this.calls) byOp[c.op] = (byOp[c.op] ?? 0) + 1;
    return {
      ops: this.calls.length,
      rcu: this.calls.reduce((s, c) => s + c.rcu, 0),
      wcu: this.calls.reduce((s, c) => s + c.wcu, 0),
      items: this.calls.reduce((s, c) => s + c.items, 0),
      byOp,
    };
  }
}
