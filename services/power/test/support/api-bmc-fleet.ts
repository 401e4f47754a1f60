import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * QEMU power-API launchers for power-service tests (the plain-HTTP API of reference §6.3): POST /poweron,
 * /poweroff, /reboot, /pxeboot answering 200, GET /status → {"PoweredOn": bool}. Actions apply when the request
 * ARRIVES (a BMC acts even if the client dies before the answer); the answer can be delayed. Every BMC counts
 * requests in progress, so tests can check that no BMC was driven twice at once and the fleet-wide maximum.
 */
export type ApiBmc = {
  readonly address: string;
  readonly port: number;
  poweredOn: boolean;
  /** `METHOD path` in arrival order. */
  readonly calls: string[];
  /** Most requests this BMC had in progress at once. */
  maxActive: number;
};

export type ApiFleet = {
  readonly bmcs: readonly ApiBmc[];
  /** Most requests in progress at once over all BMCs. */
  maxActive(): number;
  /** Resolves on the first request matching `METHOD path` at `bmc` (already seen or future). */
  arrived(bmc: ApiBmc, call: string): Promise<void>;
  close(): Promise<void>;
};

export type ApiFleetOptions = {
  /** Answer delay per request (ms). Default 0. */
  delayMs?: (call: string) => number;
  initiallyOn?: boolean;
};

export async function startApiFleet(count: number, opts: ApiFleetOptions = {}): Promise<ApiFleet> {
  let active = 0;
  let maxActive = 0;
  const servers: http.Server[] = [];
  const bmcs: ApiBmc[] = [];
  const waiters: { bmc: ApiBmc; call: string; resolve: () => void }[] = [];
  const timers = new Set<NodeJS.Timeout>();

  for (let i = 0; i < count; i++) {
    let bmcActive = 0;
    const bmc: ApiBmc = { address: '', port: 0, poweredOn: opts.initiallyOn ?? false, calls: [], maxActive: 0 };
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const call = `${req.method ?? '?'} ${req.url ?? '?'}`;
        active++;
        bmcActive++;
        maxActive = Math.max(maxActive, active);
        bmc.maxActive = Math.max(bmc.maxActive, bmcActive);
        bmc.calls.push(call);
        for (const w of waiters.filter((x) => x.bmc === bmc && x.call === call)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
        let status = 200;
        let body = '';
        if (call === 'GET /status') body = JSON.stringify({ PoweredOn: bmc.poweredOn });
        else if (call === 'POST /poweron') bmc.poweredOn = true;
        else if (call === 'POST /poweroff') bmc.poweredOn = false;
        else if (call === 'POST /reboot' || call === 'POST /pxeboot') {
          // restart / one-time PXE: no state change visible through /status
        } else status = 404;
        const finish = () => {
          active--;
          bmcActive--;
          if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(body);
        };
        const delay = opts.delayMs?.(call) ?? 0;
        if (delay <= 0) return finish();
        const t = setTimeout(() => {
          timers.delete(t);
          finish();
        }, delay);
        timers.add(t);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    Object.assign(bmc, { address: `127.0.0.1:${port}`, port });
    servers.push(server);
    bmcs.push(bmc);
  }

  return {
    bmcs,
    maxActive: () => maxActive,
    arrived: (bmc, call) =>
      bmc.calls.includes(call) ? Promise.resolve() : new Promise((resolve) => waiters.push({ bmc, call, resolve })),
    async close() {
      for (const t of timers) clearTimeout(t);
      await Promise.all(
        servers.map((s) => {
          s.closeAllConnections();
          return new Promise<void>((resolve) => s.close(() => resolve()));
        }),
      );
    },
  };
}
