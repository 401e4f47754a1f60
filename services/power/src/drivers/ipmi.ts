import type { BootDevice, BootFirmware, PowerState } from '@metalbus/events';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CipherSuiteId } from '../ipmi/cipher-suites.js';
import {
  BOOT_OPTIONS_COMPLETION,
  BOOT_PARAM,
  type BootFlags,
  CHASSIS_CONTROL,
  type ChassisControl,
  SET_IN_PROGRESS,
  chassisControl,
  decodeChassisStatus,
  encodeBootFlags,
  getChassisStatus,
  setSystemBootOptions,
} from '../ipmi/chassis.js';
import { type IpmiClient, createIpmiClient } from '../ipmi/client.js';
import { IpmiError, isIpmiError } from '../ipmi/errors.js';
import { type IpmiTransport, createIpmiTransport } from '../ipmi/transport.js';
import { BmcError, type PowerDriver } from './driver.js';

/**
 * PowerDriver over IPMI v2.0 / RMCP+ (lanplus), natively: no ipmitool process, one session per BMC kept alive.
 * Commands as the Omni provider sends them (reference §6.1): Get Chassis Status, Chassis Control, and a one-time
 * boot device through Set System Boot Options parameter 5.
 */
export interface IpmiDriverOptions {
  readonly address: string;
  /** UDP port; 623 when absent or 0 (as the Omni provider does for user configs that give 0). */
  readonly port?: number;
  readonly username: string;
  readonly password: string;
  /** 3, 17, or null/absent for "17, else 3". */
  readonly cipherSuite?: CipherSuiteId | null;
  readonly privilege?: 'administrator' | 'operator';
  readonly timeouts?: {
    /** Wait per datagram before a retransmission (default 1000 ms). */
    readonly attemptMs?: number;
    /** Datagrams per request including the first (default 3). */
    readonly attempts?: number;
    /** Replace a session idle longer than this (default 30 s; BMCs commonly drop idle sessions after 60 s). */
    readonly sessionIdleMs?: number;
  };
}

export interface IpmiDriverDeps {
  /** Shared UDP transport; when absent the driver makes its own and closes it in close(). */
  readonly transport?: IpmiTransport;
  readonly logger?: Logger;
  readonly registry?: Registry;
  readonly randomBytes?: (n: number) => Buffer;
  readonly now?: () => number;
}

export const IPMI_DEFAULT_PORT = 623;

export function createIpmiDriver(options: IpmiDriverOptions, deps: IpmiDriverDeps = {}): PowerDriver {
  const ownTransport = deps.transport === undefined;
  const transport =
    deps.transport ??
    createIpmiTransport({
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.registry ? { registry: deps.registry } : {}),
    });
  const client: IpmiClient = createIpmiClient(
    {
      address: options.address,
      port: options.port || IPMI_DEFAULT_PORT,
      username: options.username,
      password: options.password,
      cipherSuite: options.cipherSuite ?? null,
      privilege: options.privilege ?? 'administrator',
      attemptMs: options.timeouts?.attemptMs ?? 1000,
      attempts: options.timeouts?.attempts ?? 3,
      sessionIdleMs: options.timeouts?.sessionIdleMs ?? 30_000,
    },
    { ...deps, transport },
  );
  const target = client.target;
  /** Unknown until tried; false once the BMC refused parameter 0 ("set in progress"), ipmi_sim does. */
  let setInProgressSupported: boolean | undefined;

  async function operation<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isIpmiError(err))
        throw new BmcError(err.code, target, name, err.message, { cause: err, unanswered: err.unanswered });
      throw new BmcError('protocol', target, name, err instanceof Error ? err.message : String(err), {
        cause: err,
        unanswered: false,
      });
    }
  }

  /**
   * Power up/down and soft shutdown leave the same state however often they arrive; a power cycle or hard reset
   * does not, so those go out at most once (no retransmission, no re-send in a new session).
   */
  function control(name: string, value: ChassisControl, signal: AbortSignal): Promise<void> {
    const atMostOnce = value === CHASSIS_CONTROL.powerCycle || value === CHASSIS_CONTROL.hardReset;
    return operation(name, async () => {
      await client.expect(chassisControl(value), 'Chassis Control', signal, undefined, { atMostOnce });
    });
  }

  /**
   * Boot flags with the "set in progress" handshake (section 28.12, parameter 0) when the BMC has it: mark set in
   * progress, write, mark set complete. BMCs without it (answer non-zero) get the bare write, as ipmitool does.
   */
  async function writeBootFlags(flags: BootFlags, signal: AbortSignal): Promise<void> {
    let marked = false;
    if (setInProgressSupported !== false) {
      const r = await client.call(
        setSystemBootOptions(BOOT_PARAM.setInProgress, Uint8Array.of(SET_IN_PROGRESS.inProgress)),
        'Set System Boot Options',
        signal,
      );
      marked = r.completionCode === 0;
      // 0x81 means another client is mid-update: not a reason to stop asking next time.
      if (r.completionCode !== 0 && r.completionCode !== 0x81) setInProgressSupported = false;
      else if (marked) setInProgressSupported = true;
    }
    let failure: unknown;
    try {
      await client.expect(
        setSystemBootOptions(BOOT_PARAM.bootFlags, encodeBootFlags(flags)),
        'Set System Boot Options',
        signal,
        BOOT_OPTIONS_COMPLETION,
      );
    } catch (err) {
      failure = err;
    }
    if (marked) {
      try {
        await client.call(
          setSystemBootOptions(BOOT_PARAM.setInProgress, Uint8Array.of(SET_IN_PROGRESS.complete)),
          'Set System Boot Options',
          signal,
        );
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }

  return {
    kind: 'ipmi',
    target,
    status(signal): Promise<PowerState> {
      return operation('status', async () => {
        const data = await client.expect(getChassisStatus(), 'Get Chassis Status', signal);
        const status = decodeChassisStatus(data);
        if (!status.ok) throw new IpmiError('protocol', status.error);
        return status.value.powerOn ? 'on' : 'off';
      });
    },
    powerOn: (signal) => control('power-on', CHASSIS_CONTROL.powerUp, signal),
    powerOff: (signal) => control('power-off', CHASSIS_CONTROL.powerDown, signal),
    softOff: (signal) => control('soft-off', CHASSIS_CONTROL.softShutdown, signal),
    cycle: (signal) => control('cycle', CHASSIS_CONTROL.powerCycle, signal),
    reset: (signal) => control('reset', CHASSIS_CONTROL.hardReset, signal),
    setBootOnce(device: BootDevice, firmware: BootFirmware, signal) {
      // One-time override only: the provider never sets a persistent boot device (reference §6).
      return operation('set-boot-once', () =>
        writeBootFlags({ valid: true, persistent: false, efi: firmware === 'uefi', device }, signal),
      );
    },
    clearBootOverride(signal) {
      // Valid flags with "no override" (device selector 0): the firmware follows its own boot order again.
      return operation('clear-boot-override', () =>
        writeBootFlags({ valid: true, persistent: false, efi: false, device: 'none' }, signal),
      );
    },
    async close() {
      await client.close();
      if (ownTransport) await transport.close();
    },
  };
}
