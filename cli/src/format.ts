import type { AnyEvent } from '@metalbus/events';

// The fields worth a glance per kind; anything else is in --json.
const HEADLINE: { [K in AnyEvent['kind']]: readonly string[] } = {
  discovered: ['mac', 'arch', 'firmware', 'messageType', 'port', 'bootFile', 'relay'],
  'boot.script': ['mode', 'status', 'profileId', 'groupId', 'replica', 'mac'],
  'boot.asset': ['transport', 'path', 'status', 'bytes', 'range', 'durationMs', 'cacheHit', 'replica'],
  'power.requested': ['action', 'bootDevice', 'requestId', 'requestedBy'],
  'power.completed': ['action', 'outcome', 'observed', 'driver', 'durationMs', 'requestId', 'error'],
  'power.changed': ['previous', 'state', 'source'],
  'agent.connected': ['remoteAddress', 'agentVersion'],
  'agent.disconnected': ['reason'],
  'wipe.requested': ['requestId', 'fast'],
  'wipe.completed': ['requestId', 'outcome', 'durationMs', 'error'],
  lifecycle: ['state', 'detail'],
};

function show(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    const v = value as { code?: unknown; message?: unknown };
    if (typeof v.code === 'string') return `${v.code}(${String(v.message ?? '')})`;
    return JSON.stringify(value);
  }
  const text = String(value);
  return /\s/.test(text) ? JSON.stringify(text) : text;
}

/** One readable line per event: time, kind, machine, then `key=value` for the kind's headline fields. */
export function formatEvent(e: AnyEvent): string {
  const record = e.event as Record<string, unknown>;
  const fields = HEADLINE[e.kind]
    .filter((k) => record[k] !== null && record[k] !== undefined)
    .map((k) => `${k}=${show(record[k])}`);
  return `${e.event.at}  ${e.kind.padEnd(18)} ${e.event.machineId}  ${fields.join(' ')}`;
}
