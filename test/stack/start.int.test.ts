import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { freePort, freeUdpPort, spawnService } from '@metalbus/testing';

// `npm start` for a newcomer: its own nats-server plus the four services, one "ready" summary, and a clean stop on
// Ctrl-C (SIGINT) that leaves nothing running.

const root = fileURLToPath(new URL('../..', import.meta.url));

it('npm start brings the stack up and down', async () => {
  const natsPort = await freePort();
  const monitorPort = await freePort();
  const env: Record<string, string | undefined> = {
    NATS_URL: '',
    METALBUS_NATS_PORT: String(natsPort),
    METALBUS_NATS_MONITOR_PORT: String(monitorPort),
    HTTP_PORT: String(await freePort()),
    DHCP_PORT: String(await freeUdpPort()),
    DHCP_PXE_PORT: String(await freeUdpPort()),
    TFTP_PORT: String(await freeUdpPort()),
    DHCP_LISTEN_ADDRESS: '127.0.0.1',
    TFTP_ADDRESS: '127.0.0.1',
    DHCP_PROXY_OPS_PORT: String(await freePort()),
    BOOT_HTTP_OPS_PORT: String(await freePort()),
    OMNI_BRIDGE_OPS_PORT: String(await freePort()),
    POWER_OPS_PORT: String(await freePort()),
  };
  const proc = spawnService(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], env, { cwd: root });
  try {
    await proc.waitForLine(/all four services are ready/, 45_000);
    for (const key of ['DHCP_PROXY_OPS_PORT', 'BOOT_HTTP_OPS_PORT', 'OMNI_BRIDGE_OPS_PORT', 'POWER_OPS_PORT']) {
      const res = await fetch(`http://127.0.0.1:${env[key]}/readyz`);
      expect(res.status, key).toBe(200);
    }
    const script = await fetch(`http://127.0.0.1:${env['HTTP_PORT']}/boot.ipxe`);
    expect(await script.text()).toMatch(/^#!ipxe/);
    const exit = await proc.stop('SIGINT', 15_000);
    expect(exit.code).toBe(0);
    expect(proc.lines.some((l) => l.includes('[start] stopped'))).toBe(true);
    // nats-server is gone with it.
    await expect(fetch(`http://127.0.0.1:${monitorPort}/varz`)).rejects.toThrow();
  } finally {
    await proc.stop('SIGKILL', 1_000);
  }
}, 90_000);
