/**
 * Log rate limiting for hot paths: `allow(key)` returns the number of calls suppressed since the last allowed
 * one (0 or more) when a line may be written now, or null while the key is inside its quiet interval.
 */
export type Throttle = { allow(key: string): number | null };

export function createThrottle(intervalMs: number, now: () => number = Date.now): Throttle {
  const state = new Map<string, { at: number; suppressed: number }>();
  return {
    allow(key) {
      const t = now();
      const s = state.get(key);
      if (s === undefined || t - s.at >= intervalMs) {
        const suppressed = s?.suppressed ?? 0;
        state.set(key, { at: t, suppressed: 0 });
        return suppressed;
      }
      s.suppressed++;
      return null;
    },
  };
}
