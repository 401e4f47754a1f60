/** What a decoder returns: hostile input is a value, never an exception (STYLE.md 9). */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

export function ok<T>(value: T): Decoded<T> {
  return { ok: true, value };
}

export function fail<T>(error: string): Decoded<T> {
  return { ok: false, error };
}
