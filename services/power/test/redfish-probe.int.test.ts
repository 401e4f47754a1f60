import https from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { bmcRecordSchema } from '@metalbus/events';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DriverKind, PowerDriver } from '../src/drivers/driver.js';
import {
  createDriverChooser,
  createStandardFactories,
  type DriverFactories,
  type OpenedBmc,
  type RedfishProber,
} from '../src/drivers/probe.js';
import { makeSelfSignedCert, startRedfishSim } from './support/redfish-sim.js';

// Driver choice for a BMC record: explicit driver, or for `auto` a Redfish service-root probe with IPMI as the
// fallback, cached per address.

const logger = pino({ level: 'silent' });
const MACHINE = '4c4c4544-0051-3010-8052-b4c04f564433';
let cert: { key: string; cert: string };
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => {
  cert = makeSelfSignedCert();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function record(fields: Partial<OpenedBmc> & { address: string }): OpenedBmc {
  const parsed = bmcRecordSchema.parse({
    machineId: MACHINE,
    updatedAt: '2026-01-01T00:00:00Z',
    ...fields,
    password: null,
  });
  return { ...parsed, password: fields.password ?? null };
}

/** Factories that only record which kind was built (a Fixed fake driver per kind). */
function recordingFactories(): { factories: DriverFactories; built: DriverKind[] } {
  const built: DriverKind[] = [];
  const fake =
    (kind: DriverKind) =>
    (bmc: OpenedBmc): PowerDriver => {
      built.push(kind);
      const none = async (): Promise<void> => undefined;
      return {
        kind,
        target: bmc.address,
        status: async () => 'off',
        powerOn: none,
        powerOff: none,
        softOff: none,
        cycle: none,
        reset: none,
        setBootOnce: none,
        clearBootOverride: none,
        close: none,
      };
    };
  return { factories: { redfish: fake('redfish'), ipmi: fake('ipmi'), api: fake('api') }, built };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function redfishSim(): Promise<Awaited<ReturnType<typeof startRedfishSim>>> {
  const sim = await startRedfishSim({ tls: cert });
  cleanups.push(() => sim.close());
  return sim;
}

const deadline = (): AbortSignal => AbortSignal.timeout(10_000);

describe('driver choice', () => {
  it('chooses Redfish when the service root answers, once per address within the TTL', async () => {
    const sim = await redfishSim();
    const { factories, built } = recordingFactories();
    const chooser = createDriverChooser({}, { factories, logger });
    const bmc = record({ address: '127.0.0.1', port: sim.port, insecure: true });
    const [first, second] = await Promise.all([chooser.kindFor(bmc, deadline()), chooser.kindFor(bmc, deadline())]);
    const driver = await chooser.choose(bmc, deadline());
    expect([first, second, driver.kind, built]).toEqual(['redfish', 'redfish', 'redfish', ['redfish']]);
    expect(sim.requests).toEqual(['GET /redfish/v1/ none 200']);
  });

  it('falls back to IPMI when nothing answers', async () => {
    const { factories, built } = recordingFactories();
    const chooser = createDriverChooser({}, { factories, logger });
    const driver = await chooser.choose(record({ address: '127.0.0.1', port: await freePort() }), deadline());
    expect([driver.kind, built]).toEqual(['ipmi', ['ipmi']]);
  });

  it('falls back to IPMI when HTTPS answers but is not Redfish', async () => {
    const server = https.createServer({ key: cert.key, cert: cert.cert }, (_req, res) =>
      res.writeHead(404).end('not here'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { factories } = recordingFactories();
    const chooser = createDriverChooser({}, { factories, logger });
    const port = (server.address() as AddressInfo).port;
    expect(await chooser.kindFor(record({ address: '127.0.0.1', port, insecure: true }), deadline())).toBe('ipmi');
  });

  it('keeps Redfish when its certificate is not trusted, so the TLS error is reported instead of hidden', async () => {
    const sim = await redfishSim();
    const { factories } = recordingFactories();
    const chooser = createDriverChooser({}, { factories, logger });
    expect(await chooser.kindFor(record({ address: '127.0.0.1', port: sim.port }), deadline())).toBe('redfish');
  });

  it('never probes an explicit driver, and probes again after the TTL', async () => {
    const probed: string[] = [];
    const prober: RedfishProber = async (bmc) => {
      probed.push(bmc.address);
      return probed.length === 1;
    };
    let clock = 0;
    const { factories } = recordingFactories();
    const chooser = createDriverChooser(
      { cacheTtlMs: 1000 },
      { factories, logger, probeRedfish: prober, now: () => clock },
    );
    const kinds: DriverKind[] = [];
    for (const driver of ['ipmi', 'redfish', 'api'] as const)
      kinds.push(await chooser.kindFor(record({ address: 'bmc-1', driver }), deadline()));
    const auto = record({ address: 'bmc-1' });
    kinds.push(await chooser.kindFor(auto, deadline()));
    clock = 999;
    kinds.push(await chooser.kindFor(auto, deadline()));
    clock = 1000;
    kinds.push(await chooser.kindFor(auto, deadline()));
    chooser.forget('bmc-1');
    kinds.push(await chooser.kindFor(auto, deadline()));
    expect(kinds).toEqual(['ipmi', 'redfish', 'api', 'redfish', 'redfish', 'ipmi', 'ipmi']);
    expect(probed).toEqual(['bmc-1', 'bmc-1', 'bmc-1']);
  });

  it('builds working Redfish drivers from records with the standard factories', async () => {
    const sim = await redfishSim();
    const ipmiCalls: string[] = [];
    const { factories: fakes } = recordingFactories();
    const factories = createStandardFactories({
      logger,
      ipmi: (bmc) => {
        ipmiCalls.push(bmc.address);
        return fakes.ipmi(bmc);
      },
    });
    const chooser = createDriverChooser({}, { factories, logger });
    const bmc = record({
      address: '127.0.0.1',
      port: sim.port,
      username: 'admin',
      password: 'sim-password-1',
      caPem: cert.cert,
    });
    const driver = await chooser.choose(bmc, deadline());
    cleanups.push(() => driver.close());
    await driver.powerOn(deadline());
    expect([driver.kind, driver.target, sim.systems.get('1')?.powerState, ipmiCalls]).toEqual([
      'redfish',
      `https://127.0.0.1:${sim.port}`,
      'On',
      [],
    ]);
  });
});
