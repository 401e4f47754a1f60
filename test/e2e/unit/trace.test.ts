import { describe, expect, it } from 'vitest';
import { createEventLog } from '../harness/events.js';
import { describeEvent, traceOf } from '../harness/trace.js';

const ID = '6d627573-0e2e-4b00-8000-00000000e2e1';
const at = '2026-01-01T00:00:00.000Z';

const discovered = {
  schema: 1,
  machineId: ID,
  at,
  mac: '52:54:00:6d:62:01',
  uuid: ID,
  arch: 'amd64',
  firmware: 'ipxe',
  clientArch: 0,
  vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
  userClass: 'iPXE',
  isIpxe: true,
  relay: null,
  interface: 'br0',
  messageType: 'discover',
  port: 67,
  bootFile: 'http://10.101.7.1:8080/boot.ipxe',
  clientAddress: null,
};
const asset = {
  schema: 1,
  machineId: ID,
  at,
  transport: 'tftp',
  path: 'snponly.efi',
  kind: 'ipxe',
  status: 0,
  bytes: 173792,
  range: null,
  durationMs: 12.5,
  cacheHit: null,
  source: 'ipxe',
  replica: 'vm',
  remoteAddress: '10.101.7.150',
};

function logOf(events: { subject: string; data: unknown }[]) {
  const log = createEventLog();
  for (const e of events) log.record(e);
  return log.events();
}

describe('boot trace', () => {
  it('keeps the predictable fields of each event, in order, and flags what does not validate', () => {
    const events = logOf([
      { subject: `machine.discovered.${ID}`, data: discovered },
      { subject: `machine.boot.asset.${ID}`, data: asset },
      { subject: `machine.boot.asset.mac-5254006d6202`, data: asset },
      { subject: `machine.power.changed.${ID}`, data: {} },
      { subject: `machine.boot.script.${ID}`, data: 'not json' },
    ]);
    const trace = traceOf(events);
    expect(trace.slice(0, 2)).toEqual([
      {
        event: 'discovered',
        machineId: ID,
        uuid: ID,
        mac: '52:54:00:6d:62:01',
        arch: 'amd64',
        firmware: 'ipxe',
        clientArch: 0,
        isIpxe: true,
        messageType: 'discover',
        port: 67,
        bootFile: 'http://10.101.7.1:8080/boot.ipxe',
      },
      {
        event: 'boot.asset',
        machineId: ID,
        transport: 'tftp',
        path: 'snponly.efi',
        kind: 'ipxe',
        status: 0,
        bytes: 173792,
        source: 'ipxe',
      },
    ]);
    expect(trace.slice(2).map((s) => s.event)).toEqual(['invalid', 'other', 'invalid']);
    expect(trace[2]).toMatchObject({ error: `payload machineId ${ID} differs from the subject's` });
  });

  it('describes events in one line each', () => {
    const [d, a] = logOf([
      { subject: `machine.discovered.${ID}`, data: discovered },
      { subject: `machine.boot.asset.${ID}`, data: asset },
    ]);
    expect([d, a].map((e) => (e === undefined ? '' : describeEvent(e)))).toEqual([
      `machine.discovered.${ID}  discover on 67: firmware=ipxe client-arch=0 ipxe=true -> http://10.101.7.1:8080/boot.ipxe`,
      `machine.boot.asset.${ID}  tftp snponly.efi (ipxe) status=0 173792 bytes`,
    ]);
  });
});
