import type { Arch } from '@metalbus/events';

/** What a machine's last /ipxe request said about it: the base URL it reached us at and its architecture. */
export type RequestHint = { readonly base: string; readonly arch: Arch };

/**
 * Facts of recent /ipxe requests, per machine, for work done outside a request (warmSchematics): which base URL
 * and architecture the next answer for that machine will most likely be built with. Bounded: the machine asked
 * longest ago is forgotten first.
 */
export type RequestHints = {
  remember(machineId: string, hint: RequestHint): void;
  get(machineId: string): RequestHint | undefined;
  /** The base URL of the last request of any machine (they usually all reach us the same way), or null. */
  lastBase(): string | null;
};

export function createRequestHints(limit = 65_536): RequestHints {
  const hints = new Map<string, RequestHint>();
  let lastBase: string | null = null;
  return {
    remember(machineId, hint) {
      lastBase = hint.base;
      hints.delete(machineId);
      hints.set(machineId, hint);
      if (hints.size > limit) hints.delete(hints.keys().next().value as string);
    },
    get: (machineId) => hints.get(machineId),
    lastBase: () => lastBase,
  };
}
