import { canonicalUuid, type BmcRecord } from '@metalbus/events';
import type { Logger } from 'pino';
import { isRecord } from '../redfish/classify.js';
import { parseLoose } from '../redfish/schemas.js';
import { parseTarget } from '../redfish/target.js';
import { createTransport } from '../redfish/transport.js';
import { createApiDriver, type ApiDriverOptions } from './api.js';
import { BmcError, type DriverKind, type PowerDriver } from './driver.js';
import { createRedfishDriver, type RedfishDriverOptions } from './redfish.js';

/** A `bmcs` record whose password the caller has already opened (plaintext or null). */
export type OpenedBmc = Omit<BmcRecord, 'password'> & { password: string | null };

export type DriverFactory = (bmc: OpenedBmc) => PowerDriver;

/** One factory per kind; `ipmi` is injected by the wiring (the native IPMI driver lives elsewhere). */
export type DriverFactories = Readonly<Record<DriverKind, DriverFactory>>;

/** Is there a Redfish service at this BMC? Must settle by `signal`. */
export type RedfishProber = (bmc: OpenedBmc, signal: AbortSignal) => Promise<boolean>;

export interface DriverChooserOptions {
  /** Deadline of one Redfish probe. Default 3 s. */
  probeTimeoutMs?: number;
  /** How long a probe result is kept per BMC address. Default 10 min (the Omni provider keeps it forever). */
  cacheTtlMs?: number;
}

export interface DriverChooserDeps {
  factories: DriverFactories;
  logger: Logger;
  probeRedfish?: RedfishProber;
  now?: () => number;
}

export interface DriverChooser {
  /** Which kind drives this BMC: the record's explicit driver, or for `auto` Redfish if it answers, else IPMI. */
  kindFor(bmc: OpenedBmc, signal: AbortSignal): Promise<DriverKind>;
  /** A new driver for this BMC; the caller owns it and must close() it. */
  choose(bmc: OpenedBmc, signal: AbortSignal): Promise<PowerDriver>;
  /** Drop cached probe results (one BMC address, or all), e.g. after the record changed. */
  forget(address?: string): void;
}

const IPMI_PORT = 623;
export const DEFAULT_REDFISH_PORT = 443;

/** The HTTPS port for Redfish: the record's port unless it is unset or the IPMI port (records are shared). */
export function redfishPortOf(bmc: Pick<OpenedBmc, 'port'>): number {
  return bmc.port === null || bmc.port === 0 || bmc.port === IPMI_PORT ? DEFAULT_REDFISH_PORT : bmc.port;
}

export function createDriverChooser(options: DriverChooserOptions, deps: DriverChooserDeps): DriverChooser {
  const probeTimeoutMs = options.probeTimeoutMs ?? 3000;
  const ttlMs = options.cacheTtlMs ?? 10 * 60 * 1000;
  const now = deps.now ?? Date.now;
  const prober =
    deps.probeRedfish ?? ((bmc, signal) => probeRedfishServiceRoot(bmc, { timeoutMs: probeTimeoutMs, signal }));
  const cache = new Map<string, { kind: DriverKind; until: number }>();
  const inFlight = new Map<string, Promise<DriverKind>>();

  async function probe(key: string, bmc: OpenedBmc, signal: AbortSignal): Promise<DriverKind> {
    const redfish = await prober(bmc, signal);
    if (signal.aborted)
      throw new BmcError('timeout', bmc.address, 'probe', 'deadline passed while probing for Redfish');
    const kind: DriverKind = redfish ? 'redfish' : 'ipmi';
    cache.set(key, { kind, until: now() + ttlMs });
    deps.logger.info({ bmc: key, kind }, 'BMC driver chosen by probe');
    return kind;
  }

  const chooser: DriverChooser = {
    async kindFor(bmc, signal) {
      if (bmc.driver !== 'auto') return bmc.driver;
      const key = cacheKey(bmc);
      const cached = cache.get(key);
      if (cached !== undefined && cached.until > now()) return cached.kind;
      // Single flight: a burst of commands for one BMC probes it once.
      let pending = inFlight.get(key);
      if (pending === undefined) {
        pending = probe(key, bmc, signal).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    async choose(bmc, signal) {
      const kind = await chooser.kindFor(bmc, signal);
      return deps.factories[kind](bmc);
    },
    forget(address) {
      if (address === undefined) {
        cache.clear();
        return;
      }
      for (const key of cache.keys()) if (key === address || key.startsWith(`${address}|`)) cache.delete(key);
    },
  };
  return chooser;
}

function cacheKey(bmc: OpenedBmc): string {
  return `${bmc.address}|${bmc.port ?? ''}`;
}

/**
 * GET the Redfish service root (`/redfish/v1/`, readable without credentials per DSP0266) at
 * https://address[:port]. Redfish is there when it answers a root-looking JSON document, or 401/403 (a BMC that
 * protects its root). A certificate we do not trust also counts as present: falling back to IPMI would hide the
 * TLS problem, so the Redfish driver gets chosen and reports it on every command.
 */
export async function probeRedfishServiceRoot(
  bmc: Pick<OpenedBmc, 'address' | 'port' | 'insecure' | 'caPem'>,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<boolean> {
  const parsed = parseTarget({
    address: bmc.address,
    port: redfishPortOf(bmc),
    defaultScheme: 'https',
    defaultPort: DEFAULT_REDFISH_PORT,
  });
  if (!parsed.ok) return false;
  const transport = createTransport({
    target: parsed.value,
    insecure: bmc.insecure,
    caPem: bmc.caPem,
    connectTimeoutMs: options.timeoutMs,
    maxBodyBytes: 256 * 1024,
    connections: 1,
  });
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  try {
    const response = await transport.send({
      method: 'GET',
      path: '/redfish/v1/',
      headers: { accept: 'application/json' },
      signal,
      operation: 'probe',
    });
    if (response.status === 401 || response.status === 403) return true;
    if (response.status !== 200) return false;
    const body = parseLoose(response.text);
    return (
      isRecord(body) &&
      ('RedfishVersion' in body ||
        'Systems' in body ||
        body['@odata.id'] === '/redfish/v1/' ||
        body['@odata.id'] === '/redfish/v1')
    );
  } catch (error) {
    return error instanceof BmcError && error.code === 'auth-failed';
  } finally {
    await transport.close(0);
  }
}

export interface StandardFactoryOptions {
  /** The native IPMI driver's factory (from the IPMI module), adapted to a record. */
  ipmi: DriverFactory;
  logger: Logger;
  redfish?: Pick<RedfishDriverOptions, 'auth' | 'setBootMode' | 'timeouts'>;
  api?: Pick<ApiDriverOptions, 'timeouts'>;
}

/** The factory table with our Redfish and API drivers built from records. */
export function createStandardFactories(options: StandardFactoryOptions): DriverFactories {
  return {
    ipmi: options.ipmi,
    redfish: (bmc) => createRedfishDriver({ ...options.redfish, ...redfishOptionsOf(bmc) }, { logger: options.logger }),
    api: (bmc) => createApiDriver({ ...options.api, address: bmc.address, port: bmc.port }, { logger: options.logger }),
  };
}

/** Record → Redfish driver options. The machine id doubles as the UUID that picks the system. */
export function redfishOptionsOf(bmc: OpenedBmc): RedfishDriverOptions {
  return {
    address: bmc.address,
    port: redfishPortOf(bmc),
    username: bmc.username ?? '',
    password: bmc.password ?? '',
    systemId: bmc.systemId,
    machineUuid: canonicalUuid(bmc.machineId),
    insecure: bmc.insecure,
    caPem: bmc.caPem,
  };
}
