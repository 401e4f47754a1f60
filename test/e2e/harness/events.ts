import { performance } from 'node:perf_hooks';
import { E2eError, E2eErrorCode } from './errors.js';

// The trace of a boot as metalbus tells it: every `machine.>` message, in arrival order. The in-memory log below
// is complete; the NATS side is the lead's to add (see the README):
//
//   export async function recordMachineEvents(servers: string): Promise<EventRecorder>
//     connect to `servers` (reachable from the test process: the namespace's uplink address, see netns.ts),
//     subscribe to `machine.>`, and for each message call log.record({ subject, data: <decoded JSON>,
//     traceparent: <the message's traceparent header> }); stop() drains the subscription and closes the
//     connection, then returns.

export type RecordedEvent = {
  /** 1, 2, 3 … in arrival order. */
  readonly seq: number;
  readonly subject: string;
  /** The decoded JSON payload (validate it with @metalbus/events before asserting on fields). */
  readonly data: unknown;
  /** W3C trace context from the NATS headers, when the publisher set one. */
  readonly traceparent: string | undefined;
  /** performance.now() when the harness received it. */
  readonly receivedAt: number;
};

export type EventRecorder = {
  /** Everything received so far, in order. */
  events(): readonly RecordedEvent[];
  /** The first event (already received or still to come) that satisfies `match`. */
  waitFor(match: (event: RecordedEvent) => boolean, timeoutMs: number): Promise<RecordedEvent>;
  stop(): Promise<void>;
};

export type EventLog = Omit<EventRecorder, 'stop'> & {
  record(event: { subject: string; data: unknown; traceparent?: string | undefined }): RecordedEvent;
};

/** The ordered in-memory log a recorder feeds. */
export function createEventLog(): EventLog {
  const received: RecordedEvent[] = [];
  const waiters = new Set<{ match: (e: RecordedEvent) => boolean; resolve: (e: RecordedEvent) => void }>();

  return {
    events: () => received.slice(),
    record(event) {
      const recorded: RecordedEvent = {
        seq: received.length + 1,
        subject: event.subject,
        data: event.data,
        traceparent: event.traceparent,
        receivedAt: performance.now(),
      };
      received.push(recorded);
      for (const waiter of [...waiters]) {
        if (waiter.match(recorded)) {
          waiters.delete(waiter);
          waiter.resolve(recorded);
        }
      }
      return recorded;
    },
    waitFor(match, timeoutMs) {
      const already = received.find(match);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (e: RecordedEvent) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = received.map((e) => e.subject).join(', ') || '(none)';
          reject(new E2eError(E2eErrorCode.timeout, `no matching event within ${timeoutMs} ms`, `received: ${seen}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}
