import type { BootIntent, JoinConfig, Profile, TemplateRecord } from '@metalbus/events';
import type { GroupIndex } from '@metalbus/matchbox';

// What the script routes read. The lead backs these with the in-memory KV views (kept fresh by KV watches), so
// every lookup is synchronous: the boot path never waits on NATS (ARCHITECTURE.md principle 1).

/** A synchronous lookup by key; undefined when absent. May throw when the view is broken. */
export type KeyedReader<T> = { get(key: string): T | undefined };

/** The current, pre-sorted group index (see createGroupIndexCache in @metalbus/matchbox). */
export type GroupIndexSource = { current(): GroupIndex };

export type ScriptState = {
  /** `boot-intents`, keyed by machine id. */
  intents: KeyedReader<BootIntent>;
  /** `profiles`, keyed by profile id. */
  profiles: KeyedReader<Profile>;
  groups: GroupIndexSource;
  /** `templates`, keyed by template (file) name. */
  templates: KeyedReader<TemplateRecord>;
  /** `provider`, key `join-config` (PROVIDER_KEYS.joinConfig). */
  provider: KeyedReader<JoinConfig>;
};
