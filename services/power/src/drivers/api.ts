import type { BootDevice, BootFirmware, PowerState } from '@metalbus/events';
import type { Logger } from 'pino';
import { codeForStatus } from '../redfish/classify.js';
import { parseTarget } from '../redfish/target.js';
import { createTransport, type HttpMethod } from '../redfish/transport.js';
import { BmcError, beforeSending, type PowerDriver } from './driver.js';

export interface ApiDriverOptions {
  /** `host:port` of the machine's launcher (or `http://host:port`). */
  address: string;
  /** Overrides a port in `address`. */
  port?: number | null;
  timeouts?: {
    /** TCP connect. Default 5 s. */
    connectMs?: number;
    /** close(): socket drain. Default 2 s. */
    closeMs?: number;
  };
}

export interface ApiDriverDeps {
  logger: Logger;
}

/**
 * The plain-HTTP power API of QEMU test clusters (`talosctl cluster create` / `qemu-up` launchers; the Omni
 * bare-metal provider's `api` power management: reference/omni-bare-metal-provider.md §6.3). No auth, no TLS.
 *
 * | op                | request                    | note                                                        |
 * |-------------------|----------------------------|-------------------------------------------------------------|
 * | status            | GET /status                | `{"PoweredOn": bool}`                                       |
 * | powerOn/powerOff  | POST /poweron, /poweroff   | /poweroff stops the VM process: a hard off                  |
 * | softOff           | —                          | `unsupported`: the API has no graceful off                  |
 * | cycle             | POST /reboot               | the launcher ignores /reboot while off, so off → /poweron    |
 * | reset             | POST /reboot               | restarts the VM; nothing while off (like a hard reset)      |
 * | setBootOnce(pxe)  | POST /pxeboot              | next start boots from the network; firmware mode ignored    |
 * | setBootOnce(disk) | —                          | no-op: without the PXE flag the launcher uses its own order |
 * | clearBootOverride | —                          | no-op: the API cannot clear a pending /pxeboot              |
 *
 * Anything but 200 is an error (the launcher answers 500 with a text on failure, 501 to a wrong method).
 */
export function createApiDriver(options: ApiDriverOptions, deps: ApiDriverDeps): PowerDriver {
  const parsed = parseTarget({ address: options.address, port: options.port, defaultScheme: 'http', defaultPort: 80 });
  const target = parsed.ok ? parsed.value.display : '(invalid address)';
  const log = deps.logger.child({ bmc: target, driver: 'api' });
  const transport = parsed.ok
    ? createTransport({
        target: parsed.value,
        insecure: false,
        caPem: null,
        connectTimeoutMs: options.timeouts?.connectMs ?? 5000,
        maxBodyBytes: 64 * 1024,
      })
    : null;
  const closeMs = options.timeouts?.closeMs ?? 2000;
  let closed = false;

  async function call(method: HttpMethod, path: string, operation: string, signal: AbortSignal): Promise<string> {
    if (transport === null)
      throw new BmcError('unsupported', target, operation, parsed.ok ? 'no address' : parsed.error);
    if (closed) throw new BmcError('protocol', target, operation, 'driver is closed');
    const response = await transport.send({ method, path, headers: { accept: 'application/json' }, signal, operation });
    if (response.status !== 200) {
      const text = response.text.replace(/\s+/g, ' ').trim().slice(0, 200);
      throw new BmcError(
        codeForStatus(response.status),
        target,
        operation,
        `${method} ${path}: HTTP ${response.status}${text === '' ? '' : `: ${text}`}`,
      );
    }
    return response.text;
  }

  async function status(signal: AbortSignal, operation = 'status'): Promise<PowerState> {
    const text = await call('GET', '/status', operation, signal);
    const poweredOn = poweredOnOf(text);
    if (poweredOn === null)
      throw new BmcError('protocol', target, operation, 'GET /status: expected {"PoweredOn": true|false}');
    return poweredOn ? 'on' : 'off';
  }

  return {
    kind: 'api',
    target,
    status: (signal) => status(signal),
    powerOn: async (signal) => void (await call('POST', '/poweron', 'powerOn', signal)),
    powerOff: async (signal) => void (await call('POST', '/poweroff', 'powerOff', signal)),
    softOff: async () => {
      throw new BmcError('unsupported', target, 'softOff', 'the QEMU power API has no graceful shutdown');
    },
    async cycle(signal) {
      // A failed read: the reboot was never sent, so the cycle may be retried.
      const state = await status(signal, 'cycle').catch((error: unknown) => {
        throw beforeSending(error);
      });
      await call('POST', state === 'off' ? '/poweron' : '/reboot', 'cycle', signal);
    },
    reset: async (signal) => void (await call('POST', '/reboot', 'reset', signal)),
    async setBootOnce(device: BootDevice, _firmware: BootFirmware, signal) {
      if (device === 'pxe') {
        await call('POST', '/pxeboot', 'setBootOnce', signal);
        return;
      }
      log.debug('setBootOnce(disk) is a no-op for the QEMU power API');
    },
    clearBootOverride: async () => undefined,
    async close() {
      if (closed) return;
      closed = true;
      await transport?.close(closeMs);
    },
  };
}

/** `{"PoweredOn": bool}` → bool; anything else → null. */
export function poweredOnOf(text: string): boolean | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const poweredOn = (value as Record<string, unknown>)['PoweredOn'];
    return typeof poweredOn === 'boolean' ? poweredOn : null;
  } catch {
    return null;
  }
}
