import { z } from 'zod';

// Binary multiples, as `du -h` prints them; the one-letter and `kb` spellings mean the same (case-insensitive).
const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** `10737418240`, `10GiB`, `512M`, `1.5k` → bytes (fractions rounded down); null when malformed or too large. */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) return null;
  const unit = UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return null;
  const value = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * A size in bytes: plain bytes or a number with a binary unit (512MiB, 10GiB, 2 TB), parsed to a number.
 * `positive` refuses 0 (for caps where 0 would mean "nothing fits" rather than "off").
 */
export function byteSize(defaultValue: number, { positive = false }: { positive?: boolean } = {}) {
  const expected = positive ? 'a positive size in bytes, e.g. 10737418240 or 10GiB' : 'bytes or a size such as 512MiB';
  return z
    .string()
    .transform((s, ctx) => {
      const n = parseByteSize(s);
      if (n === null || (positive && n === 0)) {
        ctx.addIssue({ code: 'custom', message: `must be ${expected}` });
        return z.NEVER;
      }
      return n;
    })
    .meta({ expected })
    .default(defaultValue);
}
