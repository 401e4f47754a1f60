import { describe, expect, it } from 'vitest';
import { createThrottle } from '../src/throttle.js';

describe('throttle', () => {
  it('allows one line per key per interval and reports what it suppressed', () => {
    let t = 0;
    const th = createThrottle(1000, () => t);
    const seen = [th.allow('a'), th.allow('a'), th.allow('b'), th.allow('a')];
    t = 999;
    seen.push(th.allow('a'));
    t = 1000;
    seen.push(th.allow('a'), th.allow('a'));
    expect(seen).toEqual([0, null, 0, null, null, 3, null]);
  });
});
