import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/command.js';
import { buildPowerRequest, formatCompleted, machineIdArg } from '../src/commands/power.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const ID = '4c4c4544-0051-3010-8052-b4c04f564433';

describe('metalbus power arguments', () => {
  it('builds the power.requested event', () => {
    const built = buildPowerRequest(
      [ID.toUpperCase(), 'cycle', '--boot', 'pxe', '--bios', '--wait', '--deadline', '60', '--reason', 'reinstall'],
      NOW,
      'cli:ops',
    );
    expect({ ...built, request: { ...built.request, requestId: 'x' } }).toEqual({
      request: {
        schema: 1,
        machineId: ID,
        at: '2025-06-01T12:00:00.000Z',
        requestId: 'x',
        action: 'cycle',
        bootDevice: 'pxe',
        bootFirmware: 'bios',
        deadline: '2025-06-01T12:01:00.000Z',
        requestedBy: 'cli:ops',
        reason: 'reinstall',
      },
      wait: true,
      timeoutS: 120,
      json: false,
    });
    expect(built.request.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('waits for status by itself and leaves the firmware to the service unless asked', () => {
    const status = buildPowerRequest([ID, 'status'], NOW, 'cli');
    const on = buildPowerRequest([ID, 'on', '--boot', 'disk'], NOW, 'cli');
    expect([status.wait, on.wait, on.request.bootDevice, on.request.bootFirmware]).toEqual([true, false, 'disk', null]);
    expect(machineIdArg('AA-BB-CC-DD-EE-01')).toBe('mac-aabbccddee01');
  });

  it('refuses inconsistent arguments as usage errors', () => {
    const attempt = (argv: string[]) => {
      try {
        buildPowerRequest(argv, NOW, 'cli');
        return 'accepted';
      } catch (err) {
        return err instanceof UsageError ? err.message : `other: ${String(err)}`;
      }
    };
    expect(
      [
        [ID],
        [ID, 'explode'],
        ['not-an-id', 'on'],
        [ID, 'off', '--boot', 'pxe'],
        [ID, 'on', '--boot', 'usb'],
        [ID, 'on', '--boot', 'pxe', '--uefi', '--bios'],
        [ID, 'on', '--uefi'],
        [ID, 'on', '--timeout', '0'],
      ].map(attempt),
    ).toEqual([
      'a machine id and one action are required',
      'unknown action explode (one of on, off, soft-off, cycle, reset, status)',
      'not a machine id: not-an-id (a UUID, mac-aabbccddeeff or a MAC address)',
      '--boot only goes with on, cycle, reset',
      '--boot: pxe or disk, got usb',
      '--uefi and --bios exclude each other',
      '--uefi/--bios only go with --boot',
      '--timeout: a number of seconds, got 0',
    ]);
  });

  it('prints an outcome on one line', () => {
    expect(
      formatCompleted({
        schema: 1,
        machineId: ID,
        at: NOW.toISOString(),
        requestId: 'r1',
        action: 'off',
        outcome: 'error',
        error: { code: 'unreachable', message: 'no answer' },
        observed: 'unknown',
        driver: 'ipmi',
        durationMs: 1234.5,
        attempts: 4,
        replayed: true,
      }),
    ).toBe(
      `${ID} off: error state=unknown driver=ipmi duration=1235ms attempts=4 (replayed: this requestId was already done) error=unreachable: no answer`,
    );
  });
});
