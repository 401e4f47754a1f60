import { EVENT_SCHEMAS, parseSubject, SubjectError } from '@metalbus/events';
import type { RecordedEvent } from './events.js';

// A boot's `machine.>` trace reduced to the fields a scenario can predict exactly: no timestamps, durations,
// addresses or replica names. Scenarios compare the whole list, so order, machine ids and every predictable
// field are checked at once. Pure.

export type TraceStep =
  | {
      readonly event: 'discovered';
      readonly machineId: string;
      readonly uuid: string | null;
      readonly mac: string;
      readonly arch: string;
      readonly firmware: string;
      readonly clientArch: number | null;
      readonly isIpxe: boolean;
      readonly messageType: string;
      readonly port: number;
      readonly bootFile: string;
    }
  | {
      readonly event: 'boot.script';
      readonly machineId: string;
      readonly mode: string;
      readonly status: number;
      readonly profileId: string | null;
      readonly groupId: string | null;
      readonly mac: string | null;
      readonly arch: string | null;
    }
  | {
      readonly event: 'boot.asset';
      readonly machineId: string;
      readonly transport: string;
      readonly path: string;
      readonly kind: string;
      readonly status: number;
      readonly bytes: number;
      readonly source: string;
    }
  | { readonly event: 'other'; readonly subject: string }
  | { readonly event: 'invalid'; readonly subject: string; readonly error: string };

/** One step per recorded event, in arrival order; events that fail their schema show up as `invalid`. */
export function traceOf(events: readonly RecordedEvent[]): TraceStep[] {
  return events.map((e) => stepOf(e.subject, e.data));
}

function stepOf(subject: string, data: unknown): TraceStep {
  const parsed = parseSubject(subject);
  if (parsed instanceof SubjectError) return { event: 'invalid', subject, error: parsed.message };
  const invalid = (error: string): TraceStep => ({ event: 'invalid', subject, error });
  const id = (machineId: string) =>
    machineId === parsed.machineId ? null : invalid(`payload machineId ${machineId} differs from the subject's`);
  switch (parsed.kind) {
    case 'discovered': {
      const r = EVENT_SCHEMAS.discovered.safeParse(data);
      if (!r.success) return invalid(r.error.message);
      const e = r.data;
      return (
        id(e.machineId) ?? {
          event: 'discovered',
          machineId: e.machineId,
          uuid: e.uuid,
          mac: e.mac,
          arch: e.arch,
          firmware: e.firmware,
          clientArch: e.clientArch,
          isIpxe: e.isIpxe,
          messageType: e.messageType,
          port: e.port,
          bootFile: e.bootFile,
        }
      );
    }
    case 'boot.script': {
      const r = EVENT_SCHEMAS['boot.script'].safeParse(data);
      if (!r.success) return invalid(r.error.message);
      const e = r.data;
      return (
        id(e.machineId) ?? {
          event: 'boot.script',
          machineId: e.machineId,
          mode: e.mode,
          status: e.status,
          profileId: e.profileId,
          groupId: e.groupId,
          mac: e.mac,
          arch: e.arch,
        }
      );
    }
    case 'boot.asset': {
      const r = EVENT_SCHEMAS['boot.asset'].safeParse(data);
      if (!r.success) return invalid(r.error.message);
      const e = r.data;
      return (
        id(e.machineId) ?? {
          event: 'boot.asset',
          machineId: e.machineId,
          transport: e.transport,
          path: e.path,
          kind: e.kind,
          status: e.status,
          bytes: e.bytes,
          source: e.source,
        }
      );
    }
    default:
      return { event: 'other', subject };
  }
}

/** One readable line per event, for logs and `npm run see-it-boot`. */
export function describeEvent(event: RecordedEvent): string {
  const step = stepOf(event.subject, event.data);
  switch (step.event) {
    case 'discovered':
      return (
        `${event.subject}  ${step.messageType} on ${step.port}: firmware=${step.firmware} ` +
        `client-arch=${String(step.clientArch)} ipxe=${String(step.isIpxe)} -> ${step.bootFile}`
      );
    case 'boot.script':
      return (
        `${event.subject}  mode=${step.mode} status=${step.status}` +
        `${step.profileId === null ? '' : ` profile=${step.profileId}`}${step.groupId === null ? '' : ` group=${step.groupId}`}`
      );
    case 'boot.asset':
      return `${event.subject}  ${step.transport} ${step.path} (${step.kind}) status=${step.status} ${step.bytes} bytes`;
    case 'other':
      return event.subject;
    case 'invalid':
      return `${event.subject}  INVALID: ${step.error}`;
  }
}
