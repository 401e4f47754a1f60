import { setTimeout as delay } from 'node:timers/promises';
import type { BootDevice, BootFirmware, PowerState } from '@metalbus/events';
import type { Logger } from 'pino';
import { createBasicAuth, createSessionAuth, type Authenticator } from '../redfish/auth.js';
import { buildBootOnce, CLEAR_BOOT, writeBoot, type BootPatch } from '../redfish/boot.js';
import { createRedfishClient, type RedfishClient } from '../redfish/client.js';
import { createRedactor } from '../redfish/redact.js';
import { planReset, powerStateOf, type ResetOp } from '../redfish/reset.js';
import {
  actionInfoSchema,
  computerSystemSchema,
  serviceRootSchema,
  type ComputerSystem,
  type ServiceRoot,
} from '../redfish/schemas.js';
import { DEFAULT_SESSIONS_PATH, locateSystem, serviceInfoOf, type ServiceInfo } from '../redfish/system.js';
import { parseTarget } from '../redfish/target.js';
import { createTransport } from '../redfish/transport.js';
import { BmcError, beforeSending, type PowerDriver } from './driver.js';

export interface RedfishDriverOptions {
  /** `https://host[:port]`; wins over address/port. */
  baseUrl?: string;
  /** BMC host (`host`, `host:port`, `[v6]:port`); HTTPS on `port`, default 443. */
  address?: string;
  port?: number | null;
  username: string;
  password: string;
  /** The system to drive on a multi-system BMC (member Id, path or UUID). */
  systemId?: string | null;
  /** The machine's SMBIOS UUID: picks the system when the BMC lists several. */
  machineUuid?: string | null;
  /** Skip TLS verification. Off by default; an explicit per-BMC choice. */
  insecure?: boolean;
  /** PEM CA(s) that sign this BMC's certificate. */
  caPem?: string | null;
  /**
   * `basic` (default): stateless, nothing to leak if a driver is dropped without close().
   * `session`: one login, X-Auth-Token after that, DELETEd on close().
   */
  auth?: 'basic' | 'session';
  /** Send BootSourceOverrideMode (UEFI/Legacy). Default true; some BMCs refuse it (then it is retried without). */
  setBootMode?: boolean;
  timeouts?: {
    /** TCP+TLS connect. Default 5 s. */
    connectMs?: number;
    /** close(): session DELETE and socket drain. Default 5 s. */
    closeMs?: number;
    /** Between PowerState reads while waiting for Off in a composed cycle. Default 1 s. */
    pollMs?: number;
  };
}

export interface RedfishDriverDeps {
  logger: Logger;
}

/**
 * A Redfish BMC (DMTF DSP0266): service root → Systems → our ComputerSystem; PowerState for status,
 * `ComputerSystem.Reset` for power, a Boot PATCH for one-time boot overrides. Paths are discovered once and
 * kept; the system resource is read fresh for every operation.
 */
export function createRedfishDriver(options: RedfishDriverOptions, deps: RedfishDriverDeps): PowerDriver {
  const parsed = parseTarget({
    baseUrl: options.baseUrl,
    address: options.address,
    port: options.port,
    defaultScheme: 'https',
    defaultPort: 443,
  });
  if (!parsed.ok) return brokenDriver('(invalid address)', parsed.error);
  const target = parsed.value.display;
  const origin = parsed.value.origin;
  const log = deps.logger.child({ bmc: target, driver: 'redfish' });
  const connectMs = options.timeouts?.connectMs ?? 5000;
  const closeMs = options.timeouts?.closeMs ?? 5000;
  const pollMs = options.timeouts?.pollMs ?? 1000;
  const sessionMode = options.auth === 'session';

  const redactor = createRedactor();
  const transport = createTransport({
    target: parsed.value,
    insecure: options.insecure ?? false,
    caPem: options.caPem ?? null,
    connectTimeoutMs: connectMs,
  });
  const credentials = { username: options.username, password: options.password };
  let info: ServiceInfo | null = null;
  const auth: Authenticator = sessionMode
    ? createSessionAuth({
        transport,
        credentials,
        redactor,
        sessionsPath: () => info?.sessionsPath ?? DEFAULT_SESSIONS_PATH,
        onLogoutFailed: (detail) =>
          log.warn({ detail }, 'could not delete the Redfish session; the BMC will expire it'),
      })
    : createBasicAuth(credentials, redactor);
  const client: RedfishClient = createRedfishClient(transport, auth, redactor);

  let systemPath: string | null = null;
  let discovering: Promise<string> | null = null;
  let modeRefused = false;
  let closed = false;
  const actionInfo = new Map<string, readonly string[] | null>();

  async function readRoot(operation: string, signal: AbortSignal): Promise<ServiceRoot> {
    const what = 'GET /redfish/v1/';
    if (sessionMode) {
      // DSP0266 makes the root readable without credentials, and a session needs its Links.Sessions first.
      const answer = await client.send({ method: 'GET', path: '/redfish/v1/', signal, operation, anonymous: true });
      if (answer.failure?.code !== 'auth-failed') return client.decode(serviceRootSchema, answer, operation, what);
      // A BMC that protects its root anyway: log in at the well-known Sessions path and read it again.
    }
    return (await client.read(serviceRootSchema, '/redfish/v1/', operation, signal)).value;
  }

  async function discover(operation: string, signal: AbortSignal): Promise<string> {
    const root = await readRoot(operation, signal);
    info = serviceInfoOf(root);
    if (info === null) throw new BmcError('protocol', target, operation, 'service root has no Systems link');
    const path = await locateSystem(
      client,
      info,
      { systemId: options.systemId ?? null, machineUuid: options.machineUuid ?? null },
      operation,
      signal,
    );
    log.debug({ system: path }, 'Redfish system located');
    return path;
  }

  async function locate(operation: string, signal: AbortSignal): Promise<string> {
    if (systemPath !== null) return systemPath;
    discovering ??= discover(operation, signal).finally(() => {
      discovering = null;
    });
    systemPath = await discovering;
    return systemPath;
  }

  /** The system resource, fresh. A 404 means the paths moved (BMC reset, firmware update): rediscover once. */
  async function readSystem(operation: string, signal: AbortSignal): Promise<{ path: string; system: ComputerSystem }> {
    if (closed) throw new BmcError('protocol', target, operation, 'driver is closed');
    for (let attempt = 0; ; attempt++) {
      const path = await locate(operation, signal);
      const answer = await client.send({ method: 'GET', path, signal, operation });
      if (answer.status === 404 && attempt === 0) {
        systemPath = null;
        continue;
      }
      return { path, system: client.decode(computerSystemSchema, answer, operation, `GET ${path}`) };
    }
  }

  async function allowableResetTypes(
    system: ComputerSystem,
    operation: string,
    signal: AbortSignal,
  ): Promise<readonly string[] | null> {
    const action = system.Actions?.['#ComputerSystem.Reset'];
    const inline = action?.['ResetType@Redfish.AllowableValues'];
    if (inline !== null && inline !== undefined) return inline;
    const infoPath = action?.['@Redfish.ActionInfo'];
    if (infoPath === null || infoPath === undefined) return null;
    if (!actionInfo.has(infoPath)) {
      try {
        const { value } = await client.read(actionInfoSchema, toPath(infoPath), operation, signal);
        const parameter = value.Parameters?.find((p) => p.Name === 'ResetType');
        actionInfo.set(infoPath, parameter?.AllowableValues ?? null);
      } catch (error) {
        if (!(error instanceof BmcError) || error.transient || error.code === 'auth-failed') throw error;
        actionInfo.set(infoPath, null); // unreadable ActionInfo: let the BMC judge the value itself
      }
    }
    return actionInfo.get(infoPath) ?? null;
  }

  async function postReset(
    actionTarget: string,
    resetType: string,
    operation: string,
    signal: AbortSignal,
  ): Promise<void> {
    const answer = await client.send({
      method: 'POST',
      path: actionTarget,
      body: { ResetType: resetType },
      signal,
      operation,
    });
    if (answer.failure !== null) throw client.errorFor(answer, operation, `Reset ${resetType}`);
  }

  async function waitForOff(operation: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await delay(pollMs, undefined, { signal });
      } catch (error) {
        throw new BmcError('timeout', target, operation, 'system did not reach Off before the deadline', {
          cause: error,
        });
      }
      const { system } = await readSystem(operation, signal);
      if (powerStateOf(system.PowerState) === 'off') return;
    }
  }

  /** Reads that prepare an action: whatever fails here, the action itself was never sent. */
  async function prepareReset(op: ResetOp, operation: string, signal: AbortSignal) {
    const { system } = await readSystem(operation, signal);
    const state = powerStateOf(system.PowerState);
    const action = system.Actions?.['#ComputerSystem.Reset'];
    if (action === null || action === undefined) return { state, action: null, allowable: null };
    // Already there: nothing to post, so no allowable values needed.
    if ((op === 'on' && state === 'on') || ((op === 'off' || op === 'softOff') && state === 'off'))
      return { state, action, allowable: null };
    return { state, action, allowable: await allowableResetTypes(system, operation, signal) };
  }

  async function runReset(op: ResetOp, operation: string, signal: AbortSignal): Promise<void> {
    const { state, action, allowable } = await prepareReset(op, operation, signal).catch((error: unknown) => {
      throw beforeSending(error);
    });
    // Already there: many BMCs answer 409 to On-while-on / ForceOff-while-off, and IPMI treats these as no-ops.
    if ((op === 'on' && state === 'on') || ((op === 'off' || op === 'softOff') && state === 'off')) return;
    if (action === null)
      throw new BmcError('unsupported', target, operation, 'system has no #ComputerSystem.Reset action');
    const plan = planReset(op, allowable);
    const actionTarget = toPath(action.target);
    switch (plan.kind) {
      case 'unsupported':
        throw new BmcError(
          'unsupported',
          target,
          operation,
          `ResetType ${plan.wanted.join(' / ')} not allowed (allowed: ${(allowable ?? []).join(', ')})`,
        );
      case 'single':
        return postReset(actionTarget, plan.resetType, operation, signal);
      case 'off-then-on':
        if (state !== 'off') {
          await postReset(actionTarget, plan.off, operation, signal);
          // The off took; until the on is posted, a retry reads the state and powers on an off machine, which
          // finishes the cycle rather than repeating it.
          await waitForOff(operation, signal).catch((error: unknown) => {
            throw beforeSending(error);
          });
        }
        return postReset(actionTarget, plan.on, operation, signal);
    }
  }

  async function applyBoot(
    bootFor: (system: ComputerSystem) => BootPatch,
    operation: string,
    signal: AbortSignal,
  ): Promise<void> {
    const { path, system } = await readSystem(operation, signal);
    const patch = bootFor(system);
    await writeBoot(
      {
        client,
        systemPath: path,
        settingsPath: system['@Redfish.Settings']?.SettingsObject?.['@odata.id'] ?? null,
        amiLike: info?.amiLike ?? false,
        operation,
        signal,
        onModeRefused: () => {
          modeRefused = true;
          log.warn('BMC refused BootSourceOverrideMode; sending boot overrides without it from now on');
        },
        onFallback: (place, why) => log.debug({ place, why }, 'boot override refused on the system; trying fallback'),
      },
      patch,
    );
  }

  /** Action targets and ActionInfo links may be absolute URLs; we only ever talk to the configured origin. */
  function toPath(link: string): string {
    const url = new URL(link, origin);
    return `${url.pathname}${url.search}`;
  }

  return {
    kind: 'redfish',
    target,
    async status(signal): Promise<PowerState> {
      const { system } = await readSystem('status', signal);
      return powerStateOf(system.PowerState);
    },
    powerOn: (signal) => runReset('on', 'powerOn', signal),
    powerOff: (signal) => runReset('off', 'powerOff', signal),
    softOff: (signal) => runReset('softOff', 'softOff', signal),
    cycle: (signal) => runReset('cycle', 'cycle', signal),
    reset: (signal) => runReset('reset', 'reset', signal),
    setBootOnce(device: BootDevice, firmware: BootFirmware, signal) {
      return applyBoot(
        (system) => {
          const built = buildBootOnce(device, firmware, system, (options.setBootMode ?? true) && !modeRefused);
          if (!built.ok) throw new BmcError('unsupported', target, 'setBootOnce', built.reason);
          return built.value;
        },
        'setBootOnce',
        signal,
      );
    },
    clearBootOverride: (signal) => applyBoot(() => CLEAR_BOOT, 'clearBootOverride', signal),
    async close() {
      if (closed) return;
      closed = true;
      await client.close(AbortSignal.timeout(closeMs), closeMs);
    },
  };
}

/** A driver for a configuration that cannot work: every call fails the same way, nothing is dialled. */
function brokenDriver(target: string, reason: string): PowerDriver {
  const fail = (operation: string) => Promise.reject(new BmcError('unsupported', target, operation, reason));
  return {
    kind: 'redfish',
    target,
    status: () => fail('status'),
    powerOn: () => fail('powerOn'),
    powerOff: () => fail('powerOff'),
    softOff: () => fail('softOff'),
    cycle: () => fail('cycle'),
    reset: () => fail('reset'),
    setBootOnce: () => fail('setBootOnce'),
    clearBootOverride: () => fail('clearBootOverride'),
    close: async () => undefined,
  };
}
