import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, freeUdpPort, spawnService, startNats, type NatsServer } from '@metalbus/testing';

// Each service, started the way main.ts runs in production (a process with env config), must say where it
// listens, answer /readyz, and stop cleanly on SIGTERM within 5 s.

const root = fileURLToPath(new URL('../..', import.meta.url));
let nats: NatsServer;

beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats?.stop();
});

async function serviceEnv(name: string): Promise<Record<string, string>> {
  const base: Record<string, string> = { ...nats.env, OPS_PORT: String(await freePort()), OPS_ADDRESS: '127.0.0.1' };
  if (name === 'dhcp-proxy') {
    Object.assign(base, {
      ADVERTISE_ADDRESS: '127.0.0.1',
      DHCP_LISTEN_ADDRESS: '127.0.0.1',
      DHCP_PORT: String(await freeUdpPort()),
      DHCP_PXE_PORT: String(await freeUdpPort()),
      TFTP_ADDRESS: '127.0.0.1',
      TFTP_PORT: String(await freeUdpPort()),
    });
  }
  if (name === 'boot-http') {
    Object.assign(base, { HTTP_ADDRESS: '127.0.0.1', HTTP_PORT: String(await freePort()) });
  }
  return base;
}

describe.each(['dhcp-proxy', 'boot-http', 'omni-bridge', 'power'])('%s', (name) => {
  it('starts, reports ready on /readyz, and exits 0 on SIGTERM within 5 s', async () => {
    const env = await serviceEnv(name);
    const proc = spawnService(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], env, {
      cwd: root,
    });
    try {
      const line = await proc.waitForLine(new RegExp(`"msg":"${name} ready"`), 20_000);
      const ready = JSON.parse(line.input as string) as { listening: Record<string, string> };
      expect(ready.listening['ops']).toBe(`http://127.0.0.1:${env['OPS_PORT']}`);
      const readyz = await fetch(`http://127.0.0.1:${env['OPS_PORT']}/readyz`);
      expect(readyz.status).toBe(200);
      const healthz = await fetch(`http://127.0.0.1:${env['OPS_PORT']}/healthz`);
      expect(healthz.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${env['OPS_PORT']}/metrics`)).text();
      expect(metrics).toContain(`metalbus_${name.replace('-', '_')}_`);
      const started = Date.now();
      const exit = await proc.stop('SIGTERM', 5_000);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await proc.stop('SIGKILL', 1_000);
    }
  });
});

it('a bad variable stops a service with one line naming it', async () => {
  const proc = spawnService(
    process.execPath,
    ['--import', 'tsx', 'services/boot-http/src/main.ts'],
    { ...nats.env, OPS_PORT: 'eighty' },
    { cwd: root },
  );
  const exit = await proc.exited;
  expect(exit.code).toBe(2);
  expect(proc.lines).toEqual([
    'boot-http: invalid configuration: OPS_PORT is "eighty", expected a port number 0-65535',
  ]);
});
