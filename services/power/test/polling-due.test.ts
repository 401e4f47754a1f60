import { describe, expect, it } from 'vitest';
import { dueAt, selectDue } from '../src/polling/due.js';

describe('poll scheduling', () => {
  it('is due an interval after the last observation, ±10 %, or at once when never observed', () => {
    expect([
      dueAt(null, 30_000, 0.5),
      dueAt(1_000, 30_000, 0),
      dueAt(1_000, 30_000, 0.5),
      dueAt(1_000, 30_000, 1),
    ]).toEqual([0, 28_000, 31_000, 34_000]);
  });

  it('picks the most overdue first, one per BMC, skipping busy BMCs, up to the limit', () => {
    const c = (machineId: string, bmcKey: string, due: number) => ({ machineId, bmcKey, observedAt: null, dueAt: due });
    const candidates = [
      c('m1', 'b1', 50),
      c('m2', 'b2', 10),
      c('m3', 'b2', 5),
      c('m4', 'b3', 200),
      c('m5', 'b4', 0),
      c('m6', 'b5', 20),
    ];
    const picked = selectDue(candidates, 100, (k) => k === 'b4', 3);
    expect(picked.map((p) => p.machineId)).toEqual(['m3', 'm6', 'm1']);
    expect(selectDue(candidates, 100, () => false, 0)).toEqual([]);
  });
});
