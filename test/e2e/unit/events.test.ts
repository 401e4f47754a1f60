import { describe, expect, it } from 'vitest';
import { createEventLog } from '../harness/events.js';

describe('event log', () => {
  it('keeps events in arrival order and resolves waiters for past and future events', async () => {
    const log = createEventLog();
    log.record({ subject: 'machine.discovered.m1', data: { n: 1 } });
    const past = await log.waitFor((e) => e.subject.startsWith('machine.discovered.'), 1000);
    const future = log.waitFor((e) => e.subject === 'machine.boot.script.m1', 1000);
    log.record({ subject: 'machine.boot.script.m1', data: { n: 2 }, traceparent: '00-abc-def-01' });
    expect([past.seq, (await future).seq]).toEqual([1, 2]);
    expect(log.events().map(({ seq, subject, data, traceparent }) => ({ seq, subject, data, traceparent }))).toEqual([
      { seq: 1, subject: 'machine.discovered.m1', data: { n: 1 }, traceparent: undefined },
      { seq: 2, subject: 'machine.boot.script.m1', data: { n: 2 }, traceparent: '00-abc-def-01' },
    ]);
  });

  it('times out with the subjects it did see', async () => {
    const log = createEventLog();
    log.record({ subject: 'machine.discovered.m1', data: {} });
    await expect(log.waitFor((e) => e.subject === 'nope', 20)).rejects.toMatchObject({
      code: 'timeout',
      detail: 'received: machine.discovered.m1',
    });
  });
});
