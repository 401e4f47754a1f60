import { parseArgs } from 'node:util';
import { DeliverPolicy } from '@nats-io/jetstream';
import { canonicalUuid, decodeEvent, isMachineId } from '@metalbus/events';
import { UsageError, type Command } from '../command.js';
import { formatEvent } from '../format.js';
import { parseSince } from '../since.js';

export const eventsCommand: Command = {
  name: 'events',
  summary: 'follow machine events (machine.>) live, or replay them from the MACHINES stream',
  usage: 'metalbus events [--machine ID] [--since 10m|2h|ISO-TIME] [--json] [--no-follow]',
  async run(argv, ctx) {
    const { values } = parseArgs({
      args: argv,
      options: {
        machine: { type: 'string' },
        since: { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-follow': { type: 'boolean', default: false },
      },
      strict: true,
    });
    const machine = values.machine === undefined ? undefined : (canonicalUuid(values.machine) ?? values.machine);
    if (machine !== undefined && !isMachineId(machine))
      throw new UsageError(`--machine: not a machine id: ${values.machine}`);
    const since = values.since === undefined ? undefined : parseSince(values.since, new Date());
    if (since === null) throw new UsageError(`--since: expected 10m, 2h, 1d or an ISO time, got ${values.since}`);
    const follow = !values['no-follow'];
    if (!follow && since === undefined) throw new UsageError('--no-follow needs --since');

    const bus = await ctx.bus();
    // An ordered consumer: replays from --since (or starts at new messages) and then follows live. It filters on
    // the whole `machine.>` space (2.9 servers take one filter subject); the machine filter is applied here.
    const consumer = await bus.js.consumers.get(bus.names.stream, {
      filter_subjects: bus.names.pattern('all'),
      ...(since === undefined
        ? { deliver_policy: DeliverPolicy.New }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: since.toISOString() }),
    });
    const pending = since === undefined ? 0 : (await consumer.info(true)).num_pending;
    const messages = await consumer.consume();
    void ctx.interrupted.then(() => messages.stop());
    let seen = 0;
    if (!follow && pending === 0) return 0;
    for await (const m of messages) {
      seen++;
      const local = bus.names.local(m.subject);
      const decoded = local === null ? null : decodeEvent(local, m.data);
      if (decoded === null || !decoded.ok) {
        ctx.err(`skipped ${m.subject}: ${decoded === null ? 'outside namespace' : decoded.error.message}`);
      } else if (machine === undefined || decoded.event.machineId === machine) {
        ctx.out(
          values.json
            ? JSON.stringify({ kind: decoded.kind, subject: m.subject, ...decoded.event })
            : formatEvent(decoded),
        );
      }
      if (!follow && seen >= pending) break;
    }
    messages.stop();
    return 0;
  },
};
