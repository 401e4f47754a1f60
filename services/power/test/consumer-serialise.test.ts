import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bmcIdentity, parseHostPort } from '../src/leases/bmc-identity.js';
import { createKeyedQueue } from '../src/leases/local-queue.js';
import { requestKey } from '../src/commands/request-log.js';

describe('bmcIdentity', () => {
  it('names one BMC endpoint by host and port, as a KV-safe key', () => {
    const cases = [
      { address: '10.0.0.5', port: null, driver: 'ipmi' },
      { address: '10.0.0.5', port: 0, driver: 'auto' },
      { address: 'BMC-7.Example.com:8443', port: null, driver: 'redfish' },
      { address: 'bmc-7.example.com', port: 8443, driver: 'redfish' },
      { address: 'https://10.0.0.6/redfish/v1', port: null, driver: 'redfish' },
      { address: '172.42.0.1:50001', port: null, driver: 'api' },
      { address: '[fd00::5]:623', port: null, driver: 'ipmi' },
      { address: 'fd00::5', port: null, driver: 'ipmi' },
    ] as const;
    expect(cases.map((c) => bmcIdentity(c))).toEqual([
      { display: '10.0.0.5:623', key: '10.0.0.5_623' },
      { display: '10.0.0.5:623', key: '10.0.0.5_623' },
      { display: 'bmc-7.example.com:8443', key: 'bmc-7.example.com_8443' },
      { display: 'bmc-7.example.com:8443', key: 'bmc-7.example.com_8443' },
      { display: '10.0.0.6:443', key: '10.0.0.6_443' },
      { display: '172.42.0.1:50001', key: '172.42.0.1_50001' },
      { display: '[fd00::5]:623', key: expect.stringMatching(/^h-[0-9a-f]{40}$/) },
      { display: '[fd00::5]:623', key: expect.stringMatching(/^h-[0-9a-f]{40}$/) },
    ]);
    expect(bmcIdentity(cases[6]).key).toBe(bmcIdentity(cases[7]).key);
    expect(parseHostPort('http://[::1]:8080/x')).toEqual({ host: '::1', port: 8080 });
  });

  it('keys requests by machine and a KV-safe request id', () => {
    expect([requestKey('m1', 'abc-123_X'), requestKey('m1', 'with space')]).toEqual([
      'm1.abc-123_X',
      `m1.sha256-${createHash('sha256').update('with space').digest('hex')}`,
    ]);
  });
});

describe('createKeyedQueue', () => {
  it('runs tasks of one key in order, other keys in parallel', async () => {
    const q = createKeyedQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      q.run('a', task('a1', 20)),
      q.run('a', task('a2', 1)),
      q.run('b', task('b1', 5)),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2']);
    expect([q.busy('a'), q.size]).toEqual([false, 0]);
  });

  it('lets an aborted waiter leave without breaking the order of the rest; tryRun refuses a busy key', async () => {
    const q = createKeyedQueue();
    const stop = new AbortController();
    let release!: () => void;
    const first = q.run('k', () => new Promise<string>((r) => (release = () => r('first'))));
    const aborted = q.run('k', async () => 'never', stop.signal);
    const third = q.run('k', async () => 'third');
    expect(q.tryRun('k', async () => 'x')).toBe(null);
    stop.abort(new Error('stopping'));
    await expect(aborted).rejects.toThrow('stopping');
    release();
    expect(await Promise.all([first, third])).toEqual(['first', 'third']);
    expect(await q.tryRun('k', async () => 'free')).toBe('free');
  });
});
