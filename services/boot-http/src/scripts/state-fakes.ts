import type { BootIntent, Group, JoinConfig, Profile, TemplateRecord } from '@metalbus/events';
import { createGroupIndex } from '@metalbus/matchbox';
import type { KeyedReader, ScriptState } from './state.js';

// Fixed, Empty and Broken fakes of ScriptState for unit tests (STYLE.md 7).

export type FixedStateData = {
  intents?: readonly BootIntent[];
  profiles?: readonly Profile[];
  groups?: readonly Group[];
  templates?: readonly TemplateRecord[];
  joinConfig?: JoinConfig;
};

function fixedReader<T>(entries: Iterable<readonly [string, T]>): KeyedReader<T> {
  const map = new Map(entries);
  return { get: (key) => map.get(key) };
}

/** State holding exactly the given records. */
export function fixedState(data: FixedStateData): ScriptState {
  const index = createGroupIndex(data.groups ?? []);
  return {
    intents: fixedReader((data.intents ?? []).map((i) => [i.machineId, i] as const)),
    profiles: fixedReader((data.profiles ?? []).map((p) => [p.id, p] as const)),
    groups: { current: () => index },
    templates: fixedReader((data.templates ?? []).map((t) => [t.name, t] as const)),
    provider: fixedReader(data.joinConfig ? [['join-config', data.joinConfig] as const] : []),
  };
}

/** State with nothing in it (a fresh install). */
export function emptyState(): ScriptState {
  return fixedState({});
}

/** State whose every read throws, as a view that lost its bucket would. */
export function brokenState(message = 'view is not ready'): ScriptState {
  const broken: KeyedReader<never> = {
    get: () => {
      throw new Error(message);
    },
  };
  return {
    intents: broken,
    profiles: broken,
    groups: {
      current: () => {
        throw new Error(message);
      },
    },
    templates: broken,
    provider: broken,
  };
}
