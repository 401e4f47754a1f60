import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { Bus } from '@metalbus/bus';
import {
  canonicalUuid,
  decodeEvent,
  isMachineId,
  macMachineId,
  normalizeMac,
  powerActionSchema,
  type EventInput,
  type PowerAction,
  type PowerCompletedEvent,
} from '@metalbus/events';
import { UsageError, type CliContext, type Command } from '../command.js';

const ACTIONS = powerActionSchema.options;
const BOOTING: readonly PowerAction[] = ['on', 'cycle', 'reset'];

/** `<uuid>` in any case or with braces, `mac-…`, or a MAC address → the machine id. */
export function machineIdArg(text: string): string {
  const uuid = canonicalUuid(text);
  if (uuid !== null && isMachineId(uuid)) return uuid;
  if (isMachineId(text)) return text;
  if (normalizeMac(text) !== null) return macMachineId(text);
  throw new UsageError(`not a machine id: ${text} (a UUID, mac-aabbccddeeff or a MAC address)`);
}

export type PowerRequest = EventInput<'power.requested'>;

/** The command event for these arguments (pure apart from the fresh requestId and the clock passed in). */
export function buildPowerRequest(
  argv: string[],
  now: Date,
  requestedBy: string,
): { request: PowerRequest; wait: boolean; timeoutS: number; json: boolean } {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      boot: { type: 'string' },
      uefi: { type: 'boolean', default: false },
      bios: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '120' },
      deadline: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [machine, action, ...rest] = positionals;
  if (machine === undefined || action === undefined || rest.length > 0) {
    throw new UsageError('a machine id and one action are required');
  }
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`unknown action ${action} (one of ${ACTIONS.join(', ')})`);
  }
  const act = action as PowerAction;
  const boot = values.boot;
  if (boot !== undefined && boot !== 'pxe' && boot !== 'disk') throw new UsageError(`--boot: pxe or disk, got ${boot}`);
  if (boot !== undefined && !BOOTING.includes(act)) throw new UsageError(`--boot only goes with ${BOOTING.join(', ')}`);
  if (values.uefi && values.bios) throw new UsageError('--uefi and --bios exclude each other');
  if ((values.uefi || values.bios) && boot === undefined) throw new UsageError('--uefi/--bios only go with --boot');
  const seconds = (name: string, text: string | undefined): number | null => {
    if (text === undefined) return null;
    if (!/^\d+$/.test(text) || Number(text) <= 0) throw new UsageError(`--${name}: a number of seconds, got ${text}`);
    return Number(text);
  };
  const deadlineS = seconds('deadline', values.deadline);
  return {
    request: {
      schema: 1,
      machineId: machineIdArg(machine),
      at: now.toISOString(),
      requestId: randomUUID(),
      action: act,
      bootDevice: boot ?? null,
      bootFirmware: boot === undefined ? null : values.bios ? 'bios' : values.uefi ? 'uefi' : null,
      deadline: deadlineS === null ? null : new Date(now.getTime() + deadlineS * 1000).toISOString(),
      requestedBy,
      reason: values.reason ?? null,
    },
    // A status command is only useful with its answer.
    wait: values.wait || act === 'status',
    timeoutS: seconds('timeout', values.timeout) ?? 120,
    json: values.json,
  };
}

/** One line for a completed command. */
export function formatCompleted(e: PowerCompletedEvent): string {
  const parts = [
    `${e.machineId} ${e.action}: ${e.outcome}`,
    `state=${e.observed}`,
    `driver=${e.driver ?? '-'}`,
    `duration=${Math.round(e.durationMs)}ms`,
    `attempts=${e.attempts}`,
  ];
  if (e.replayed) parts.push('(replayed: this requestId was already done)');
  if (e.error !== null) parts.push(`error=${e.error.code}: ${e.error.message}`);
  return parts.join(' ');
}

export const powerCommand: Command = {
  name: 'power',
  summary: 'power a machine on/off/cycle/reset through its BMC, or read its state (via the power service)',
  usage:
    'metalbus power <machine-id> on|off|soft-off|cycle|reset|status [--boot pxe|disk] [--uefi|--bios] [--wait] ' +
    '[--timeout S] [--deadline S] [--reason TEXT] [--json]',
  async run(argv, ctx) {
    const { request, wait, timeoutS, json } = buildPowerRequest(argv, new Date(), requestedBy(ctx));
    const bus = await ctx.bus();
    if (!wait) {
      await bus.publish('power.requested', request);
      ctx.out(`requested ${request.action} for ${request.machineId} (requestId ${request.requestId})`);
      return 0;
    }
    const completed = await publishAndWait(bus, request, timeoutS, ctx);
    if (completed === null) return 1;
    ctx.out(json ? JSON.stringify(completed) : formatCompleted(completed));
    return completed.outcome === 'ok' ? 0 : 1;
  },
};

function requestedBy(ctx: CliContext): string {
  let user = ctx.env['USER'];
  try {
    user ??= userInfo().username;
  } catch {
    // no passwd entry (containers): fine
  }
  return `cli${user ? `:${user}` : ''}`;
}

/** Subscribes to the machine's outcomes first, then publishes, so a fast answer cannot be missed. */
async function publishAndWait(
  bus: Bus,
  request: PowerRequest,
  timeoutS: number,
  ctx: CliContext,
): Promise<PowerCompletedEvent | null> {
  const sub = bus.nc.subscribe(bus.names.subject('power.completed', request.machineId));
  let timer: NodeJS.Timeout | undefined;
  let reason: 'timeout' | 'interrupted' | null = null;
  const stop = (why: 'timeout' | 'interrupted') => {
    reason ??= why;
    sub.unsubscribe();
  };
  try {
    await bus.publish('power.requested', request);
    timer = setTimeout(() => stop('timeout'), timeoutS * 1000);
    void ctx.interrupted.then(() => stop('interrupted'));
    for await (const m of sub) {
      const local = bus.names.local(m.subject);
      const decoded = local === null ? null : decodeEvent(local, m.data);
      if (decoded?.ok && decoded.kind === 'power.completed' && decoded.event.requestId === request.requestId) {
        return decoded.event;
      }
    }
  } finally {
    clearTimeout(timer);
    sub.unsubscribe();
  }
  ctx.err(
    reason === 'interrupted'
      ? `interrupted; the command (requestId ${request.requestId}) may still run`
      : `no outcome within ${timeoutS} s for requestId ${request.requestId}: is the power service running?`,
  );
  return null;
}
