/** The cost of one policy decision on a 20-entry policy: compile once, then `may` and `readers` per message. */
import { compilePolicy, isReader, type Policy } from '../../lambdas/core/policy';
import { nowMs, round } from './stats';

export function twentyEntryPolicy(): Policy {
  const entries: Record<string, Policy['entries'][string]> = {};
  for (let e = 0; e < 20; e++) {
    entries[`E${e}`] = {
      subjects: Object.fromEntries(Array.from({ length: 5 }, (_, s) => [`idp:user-${e}-${s}`, { type: 'bench' }])),
      resources: {
        'thing:/': { grant: ['READ'], revoke: [] },
        [`message:/inbox/messages/cmd-${e}`]: { grant: ['READ', 'WRITE'], revoke: [] },
        [`message:/features/f${e}`]: { grant: ['READ'], revoke: e % 3 === 0 ? ['WRITE'] : [] },
        'message:/outbox': { grant: e % 2 === 0 ? ['READ'] : [], revoke: e % 5 === 0 ? ['READ'] : [] },
      },
    };
  }
  return { policyId: 'bench:policy', entries };
}

export function measurePolicyCost(iterations = 200_000): {
  compileUs: number;
  mayPerSecond: number;
  readersCachedPerSecond: number;
  readersUncachedPerSecond: number;
  isReaderPerSecond: number;
} {
  const policy = twentyEntryPolicy();
  let t = nowMs();
  for (let i = 0; i < 1000; i++) compilePolicy(policy);
  const compileUs = ((nowMs() - t) / 1000) * 1000;
  const enforcer = compilePolicy(policy);
  const callers = Array.from({ length: 100 }, (_, i) => [`idp:user-${i % 20}-${i % 5}`, 'idp:group-x']);
  const resources = Array.from({ length: 50 }, (_, i) =>
    i % 2 === 0 ? `message:/inbox/messages/cmd-${i % 20}` : `message:/features/f${i % 20}/inbox/messages/x/y`,
  );
  let sink = 0;
  t = nowMs();
  for (let i = 0; i < iterations; i++) if (enforcer.may(callers[i % 100]!, resources[i % 50]!, 'WRITE')) sink++;
  const mayPerSecond = iterations / ((nowMs() - t) / 1000);
  t = nowMs();
  for (let i = 0; i < iterations; i++) sink += enforcer.readers(resources[i % 50]!, 'READ').granted.size;
  const readersCachedPerSecond = iterations / ((nowMs() - t) / 1000);
  const fresh = Array.from({ length: 2000 }, (_, i) => `message:/inbox/messages/cmd-${i % 20}/sub-${i}`);
  t = nowMs();
  for (let i = 0; i < fresh.length; i++) sink += compilePolicy(policy).readers(fresh[i]!, 'READ').granted.size;
  const readersUncachedPerSecond = fresh.length / ((nowMs() - t) / 1000); // includes a compile each time: worst case
  const readers = enforcer.readers(resources[0]!, 'READ');
  t = nowMs();
  for (let i = 0; i < iterations; i++) if (isReader(readers, callers[i % 100]!)) sink++;
  const isReaderPerSecond = iterations / ((nowMs() - t) / 1000);
  if (sink < 0) console.log(sink);
  return {
    compileUs: round(compileUs, 1),
    mayPerSecond: Math.round(mayPerSecond),
    readersCachedPerSecond: Math.round(readersCachedPerSecond),
    readersUncachedPerSecond: Math.round(readersUncachedPerSecond),
    isReaderPerSecond: Math.round(isReaderPerSecond),
  };
}

if (require.main === module) console.log(measurePolicyCost());
