const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since 10m` / `2h` / `1d` / an ISO timestamp → a Date, or null when not understood. */
export function parseSince(text: string, now: Date): Date | null {
  const rel = /^(\d+)([smhd])$/.exec(text.trim());
  if (rel) return new Date(now.getTime() - Number(rel[1]) * (UNITS[rel[2] as string] as number));
  const abs = new Date(text);
  return Number.isNaN(abs.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text) ? null : abs;
}
