// Pure scheduling of power state polls: which BMCs are due, in which order. No clock, no I/O.

export type PollCandidate = {
  machineId: string;
  /** The BMC identity key (local queue and lease key). */
  bmcKey: string;
  /** When the machine's state was last observed by any replica (the shared `power` record), epoch ms. */
  observedAt: number | null;
};

/**
 * The time a machine is due again: `interval` after its last observation, ±10 % (the factor `0.9 + 0.2 × r`,
 * with `r` drawn once per observation) so BMCs polled together at start-up drift apart instead of staying
 * synchronised. Never observed: due at once.
 */
export function dueAt(observedAt: number | null, intervalMs: number, r: number): number {
  return observedAt === null ? 0 : observedAt + intervalMs * (0.9 + 0.2 * r);
}

/**
 * Up to `limit` due machines, most overdue first, at most one per BMC, skipping BMCs that are busy here
 * (a command queued or running, a poll running).
 */
export function selectDue(
  candidates: readonly (PollCandidate & { dueAt: number })[],
  now: number,
  busy: (bmcKey: string) => boolean,
  limit: number,
): PollCandidate[] {
  if (limit <= 0) return [];
  const due = candidates.filter((c) => c.dueAt <= now && !busy(c.bmcKey)).sort((a, b) => a.dueAt - b.dueAt);
  const seen = new Set<string>();
  const out: PollCandidate[] = [];
  for (const c of due) {
    if (seen.has(c.bmcKey)) continue;
    seen.add(c.bmcKey);
    out.push({ machineId: c.machineId, bmcKey: c.bmcKey, observedAt: c.observedAt });
    if (out.length === limit) break;
  }
  return out;
}
