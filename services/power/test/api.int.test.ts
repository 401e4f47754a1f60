import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiDriver } from '../src/drivers/api.js';
import { BmcError, type PowerDriver } from '../src/drivers/driver.js';

// The QEMU power-API driver against a small launcher stand-in that behaves like the talosctl/qemu-up one:
// POST-only actions answering 200, 501 to another method, GET /status → {"PoweredOn": bool}; /reboot does
// nothing while off; /pxeboot only sets a flag that the next start consumes.

interface Launcher {
  address: string;
  state: { poweredOn: boolean; pxeNext: boolean; starts: string[] };
  calls: string[];
  close(): Promise<void>;
}

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function launcher(options: { failWith?: number; statusBody?: string } = {}): Promise<Launcher> {
  const state = { poweredOn: false, pxeNext: false, starts: [] as string[] };
  const calls: string[] = [];
  const start = (): void => {
    state.poweredOn = true;
    state.starts.push(state.pxeNext ? 'pxe' : 'disk');
    state.pxeNext = false;
  };
  const actions: Record<string, () => void> = {
    '/poweron': () => {
      if (!state.poweredOn) start();
    },
    '/poweroff': () => {
      state.poweredOn = false;
    },
    '/reboot': () => {
      if (state.poweredOn) start();
    },
    '/pxeboot': () => {
      state.pxeNext = true;
    },
  };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls.push(`${req.method ?? '?'} ${req.url ?? '?'}`);
      if (options.failWith !== undefined) return void res.writeHead(options.failWith).end('launcher exploded');
      if (req.url === '/status') {
        if (req.method !== 'GET') return void res.writeHead(501).end();
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(options.statusBody ?? `${JSON.stringify({ PoweredOn: state.poweredOn })}\n`);
      }
      const action = actions[req.url ?? ''];
      if (action === undefined) return void res.writeHead(404).end('404 page not found\n');
      if (req.method !== 'POST') return void res.writeHead(501).end();
      action();
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = (): Promise<void> => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  cleanups.push(close);
  return { address, state, calls, close };
}

function driver(address: string): PowerDriver {
  const d = createApiDriver({ address }, { logger });
  cleanups.push(() => d.close());
  return d;
}

const deadline = (): AbortSignal => AbortSignal.timeout(10_000);

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BmcError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a BmcError');
}

describe('QEMU power API driver', () => {
  it('drives the launcher and it ends in the expected state', async () => {
    const vm = await launcher();
    const d = driver(vm.address);
    expect([d.kind, d.target]).toEqual(['api', `http://${vm.address}`]);

    expect(await d.status(deadline())).toBe('off');
    await d.setBootOnce('pxe', 'uefi', deadline());
    await d.cycle(deadline()); // off: /reboot would do nothing, so the driver powers on
    expect(await d.status(deadline())).toBe('on');
    await d.setBootOnce('disk', 'bios', deadline()); // no-op
    await d.clearBootOverride(deadline()); // no-op
    await d.reset(deadline());
    await d.cycle(deadline());
    await d.powerOff(deadline());
    await d.powerOn(deadline());

    expect(vm.state).toEqual({ poweredOn: true, pxeNext: false, starts: ['pxe', 'disk', 'disk', 'disk'] });
    expect(vm.calls).toEqual([
      'GET /status',
      'POST /pxeboot',
      'GET /status',
      'POST /poweron',
      'GET /status',
      'POST /reboot',
      'GET /status',
      'POST /reboot',
      'POST /poweroff',
      'POST /poweron',
    ]);
  });

  it('refuses a soft off, which the API cannot do', async () => {
    const vm = await launcher();
    expect(await failure(driver(vm.address).softOff(deadline()))).toEqual({
      code: 'unsupported',
      message: `softOff on BMC http://${vm.address} failed (unsupported): the QEMU power API has no graceful shutdown`,
    });
    expect(vm.calls).toEqual([]);
  });

  it('turns launcher errors and odd answers into BmcErrors', async () => {
    const broken = await launcher({ failWith: 500 });
    const odd = await launcher({ statusBody: '{"poweredOn":true}' });
    expect(await failure(driver(broken.address).powerOn(deadline()))).toEqual({
      code: 'protocol',
      message: `powerOn on BMC http://${broken.address} failed (protocol): POST /poweron: HTTP 500: launcher exploded`,
    });
    expect(await failure(driver(odd.address).status(deadline()))).toEqual({
      code: 'protocol',
      message: `status on BMC http://${odd.address} failed (protocol): GET /status: expected {"PoweredOn": true|false}`,
    });
  });

  it('reports a launcher that is gone as unreachable', async () => {
    const vm = await launcher();
    await vm.close();
    expect(await failure(driver(vm.address).status(deadline()))).toEqual({
      code: 'unreachable',
      message: `status on BMC http://${vm.address} failed (unreachable): connection failed (ECONNREFUSED)`,
    });
  });
});
