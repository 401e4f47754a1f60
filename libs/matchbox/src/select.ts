import type { Group } from '@metalbus/events';
import { normalizeLabel, type Labels } from './labels.js';

// Group selection exactly as Matchbox (`server.SelectGroup`, `storagepb.Group.Matches`, `ByReqs`):
// a group matches when every selector equals the request label (exact compare, after normalising `mac`/`uuid`);
// groups are tried from most selectors to fewest; equal counts are ordered by their sorted `k=v,k=v` string in
// *descending* byte order (Matchbox sorts ascending and then reverses the whole list); the first match wins.
// A group without selectors matches everything: it is the default. Matchbox's sort is not stable, so two groups
// with identical selectors are in undefined order there; here the smaller id wins, so the answer is deterministic.

export type IndexedGroup = {
  readonly group: Group;
  /** Normalised selector entries. */
  readonly entries: readonly (readonly [string, string])[];
  /** Sorted `k=v` pairs joined by `,` (Matchbox `selectorString`). */
  readonly selectorString: string;
};

/** A group left out of the index because a selector can never match (an unparseable MAC). */
export type GroupProblem = { readonly groupId: string; readonly field: string; readonly message: string };

export type GroupIndex = {
  /** Groups in evaluation order. */
  readonly groups: readonly IndexedGroup[];
  readonly problems: readonly GroupProblem[];
};

/** Sort the groups once (when they change) so that selection is a cheap scan. */
export function createGroupIndex(groups: Iterable<Group>): GroupIndex {
  const indexed: IndexedGroup[] = [];
  const problems: GroupProblem[] = [];
  for (const group of groups) {
    const entries: (readonly [string, string])[] = [];
    let bad = false;
    for (const [key, value] of Object.entries(group.selector)) {
      const normalized = normalizeLabel(key, value);
      if (normalized === null) {
        problems.push({
          groupId: group.id,
          field: `selector.${key}`,
          message: `not a MAC address: ${JSON.stringify(value)}`,
        });
        bad = true;
        continue;
      }
      entries.push([key, normalized]);
    }
    if (bad) continue;
    const selectorString = entries
      .map(([k, v]) => `${k}=${v}`)
      .sort(compareBytes)
      .join(',');
    indexed.push({ group, entries, selectorString });
  }
  indexed.sort(
    (a, b) =>
      b.entries.length - a.entries.length ||
      compareBytes(b.selectorString, a.selectorString) ||
      compareBytes(a.group.id, b.group.id),
  );
  return Object.freeze({ groups: Object.freeze(indexed), problems: Object.freeze(problems) });
}

/** The first group whose selectors all equal the labels, or null. */
export function selectGroup(index: GroupIndex, labels: Labels): Group | null {
  for (const candidate of index.groups) {
    if (matches(candidate, labels)) return candidate.group;
  }
  return null;
}

// A missing label compares as "" (a Go map lookup's zero value), so a selector `"k": ""` matches an absent `k`.
function matches(candidate: IndexedGroup, labels: Labels): boolean {
  for (const [key, value] of candidate.entries) {
    if ((Object.hasOwn(labels, key) ? labels[key] : '') !== value) return false;
  }
  return true;
}

/** A group index rebuilt lazily after `invalidate()`: call that from the groups view's change callback. */
export type GroupIndexCache = { current(): GroupIndex; invalidate(): void };

export function createGroupIndexCache(list: () => Iterable<Group>): GroupIndexCache {
  let index: GroupIndex | null = null;
  return {
    current() {
      index ??= createGroupIndex(list());
      return index;
    },
    invalidate() {
      index = null;
    },
  };
}

/** Go compares strings byte-wise (UTF-8); JS `<` compares UTF-16 code units. Same for ASCII, exact for the rest. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
