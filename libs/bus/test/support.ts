import { randomUUID } from 'node:crypto';
import type { EventInput } from '@metalbus/events';
import { createLogger, type Logger } from '@metalbus/telemetry';

export type LogLine = { level: number; msg: string } & Record<string, unknown>;

/** A debug-level JSON logger whose lines land in `lines` (parsed). */
export function memoryLogger(service = 'bus-test'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    service,
    level: 'debug',
    pretty: false,
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  });
  return { logger, lines };
}

export function machineId(): string {
  return randomUUID();
}

export function powerRequested(id = machineId(), requestId = randomUUID()): EventInput<'power.requested'> {
  return {
    schema: 1,
    machineId: id,
    at: '2025-01-02T03:04:05.000Z',
    requestId,
    action: 'cycle',
    bootDevice: 'pxe',
    requestedBy: 'test',
  };
}

export function powerChanged(id = machineId()): EventInput<'power.changed'> {
  return { schema: 1, machineId: id, at: '2025-01-02T03:04:05.000Z', state: 'on', previous: 'off', source: 'poll' };
}
