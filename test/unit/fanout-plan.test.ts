import { planFanOut } from '../../lambdas/gateway/fanout-queue';

const recipients = (n: number) => Array.from({ length: n }, (_, i) => ({ connectionId: `c${i}` }));

describe('planFanOut', () => {
  it('posts the first batch inline and splits the rest by the batch size', () => {
    const plan = planFanOut(recipients(11), '{"small":1}', 3);
    expect(plan.map((b) => b.length)).toEqual([3, 3, 3, 2]);
    expect(plan.flat().map((r) => r.connectionId)).toEqual(recipients(11).map((r) => r.connectionId));
  });

  it('makes batches smaller for big messages so that each SQS body stays under 256 KiB', () => {
    const plan = planFanOut(recipients(1000), 'x'.repeat(240 * 1024), 250);
    const perBatch = plan[0]!.length;
    expect(perBatch).toBeLessThan(250);
    expect(perBatch * 160 + 240 * 1024 + 1024).toBeLessThanOrEqual(256 * 1024);
    expect(plan.flat()).toHaveLength(1000);
  });
});
