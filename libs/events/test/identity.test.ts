import { describe, expect, it } from 'vitest';
import {
  canonicalUuid,
  guidBytesFromUuid,
  isMachineId,
  machineIdOf,
  macMachineId,
  normalizeMac,
  uuidFromGuidBytes,
} from '@metalbus/events';

describe('identity', () => {
  it('byte-swaps the first three GUID fields of option 97 (EFI_GUID layout) into canonical text', () => {
    // What QEMU with -uuid 12345678-9abc-def0-1122-334455667788 puts in option 97 after the type byte.
    const wire = Buffer.from('78563412bc9af0de1122334455667788', 'hex');
    expect(uuidFromGuidBytes(wire)).toBe('12345678-9abc-def0-1122-334455667788');
    expect(Buffer.from(guidBytesFromUuid('12345678-9abc-def0-1122-334455667788')).toString('hex')).toBe(
      '78563412bc9af0de1122334455667788',
    );
    expect(uuidFromGuidBytes(new Uint8Array(15))).toBeNull();
  });

  it('canonicalises UUID spellings and rejects non-UUIDs', () => {
    expect(canonicalUuid('{12345678-9ABC-DEF0-1122-334455667788}')).toBe('12345678-9abc-def0-1122-334455667788');
    expect(canonicalUuid('123456789abcdef01122334455667788')).toBe('12345678-9abc-def0-1122-334455667788');
    expect(canonicalUuid('12345678-9abc-def0-1122-33445566778')).toBeNull();
    expect(canonicalUuid('not-a-uuid')).toBeNull();
  });

  it('normalises MACs and builds the mac- fallback id', () => {
    expect(normalizeMac('AA-BB-CC-DD-EE-FF')).toBe('aa:bb:cc:dd:ee:ff');
    expect(normalizeMac('aabbccddeeff')).toBe('aa:bb:cc:dd:ee:ff');
    expect(normalizeMac('aa:bb-cc:dd:ee:ff')).toBeNull();
    expect(normalizeMac('aa:bb:cc:dd:ee')).toBeNull();
    expect(macMachineId('AA:BB:CC:DD:EE:FF')).toBe('mac-aabbccddeeff');
  });

  it('uses the MAC for a missing, all-zero or all-FF UUID', () => {
    const mac = '52:54:00:12:34:56';
    expect(machineIdOf({ uuid: null, mac })).toBe('mac-525400123456');
    expect(machineIdOf({ uuid: '00000000-0000-0000-0000-000000000000', mac })).toBe('mac-525400123456');
    expect(machineIdOf({ uuid: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', mac })).toBe('mac-525400123456');
    expect(machineIdOf({ uuid: '12345678-9ABC-DEF0-1122-334455667788', mac })).toBe(
      '12345678-9abc-def0-1122-334455667788',
    );
  });

  it('recognises machine ids and nothing else', () => {
    expect(isMachineId('12345678-9abc-def0-1122-334455667788')).toBe(true);
    expect(isMachineId('mac-525400123456')).toBe(true);
    expect(isMachineId('12345678-9ABC-DEF0-1122-334455667788')).toBe(false);
    expect(isMachineId('00000000-0000-0000-0000-000000000000')).toBe(false);
    expect(isMachineId('machine.>')).toBe(false);
    expect(isMachineId('mac-52540012345')).toBe(false);
  });
});

describe('macFromBytes', () => {
  it('prints chaddr bytes as a normalised MAC', async () => {
    const { macFromBytes } = await import('@metalbus/events');
    expect(macFromBytes(Uint8Array.from([0x52, 0x54, 0x00, 0x0a, 0xbc, 0xff]))).toBe('52:54:00:0a:bc:ff');
    expect(macFromBytes(new Uint8Array(0))).toBe('');
  });
});
