import { describe, expect, it } from 'vitest';
import { groupSchema, type Group } from '@metalbus/events';
import { createGroupIndex, createGroupIndexCache, parseLabels, selectGroup, type Labels } from '@metalbus/matchbox';

const group = (id: string, selector: Record<string, string>, profile = 'p'): Group =>
  groupSchema.parse({ id, profile, selector });
const labels = (query: string): Labels => {
  const result = parseLabels(query);
  if (!result.ok) throw result.error;
  return result.value.labels;
};

// Overlapping selectors: the most specific group wins; equal counts go by the sorted k=v string, descending.
const groups = [
  group('default', {}),
  group('rack-r1', { rack: 'r1' }),
  group('rack-r2', { rack: 'r2' }),
  group('os-installed', { os: 'installed' }),
  group('node1', { rack: 'r1', mac: '52:54:00:A1:9C:AE' }),
  group('node1-installed', { rack: 'r1', mac: '52-54-00-a1-9c-ae', os: 'installed' }),
  group('by-uuid', { uuid: '4C4C4544-0037-3010-8048-B4C04F4A4E32' }),
];

describe('group selection (Matchbox SelectGroup)', () => {
  const index = createGroupIndex(groups);

  it('orders groups by selector count, then by selector string descending (Matchbox sorts then reverses)', () => {
    expect(index.groups.map((g) => `${g.group.id}: ${g.selectorString}`)).toEqual([
      'node1-installed: mac=52:54:00:a1:9c:ae,os=installed,rack=r1',
      'node1: mac=52:54:00:a1:9c:ae,rack=r1',
      'by-uuid: uuid=4c4c4544-0037-3010-8048-b4c04f4a4e32',
      'rack-r2: rack=r2',
      'rack-r1: rack=r1',
      'os-installed: os=installed',
      'default: ',
    ]);
    expect(index.problems).toEqual([]);
  });

  it('picks the most specific matching group; extra labels are fine; the default catches the rest', () => {
    const pick = (query: string) => selectGroup(index, labels(query))?.id ?? null;
    expect(pick('mac=52-54-00-a1-9c-ae&rack=r1&os=installed&extra=1')).toBe('node1-installed');
    expect(pick('mac=52:54:00:a1:9c:ae&rack=r1')).toBe('node1');
    expect(pick('mac=52:54:00:a1:9c:af&rack=r1')).toBe('rack-r1');
    // rack=r1 and os=installed both match with one selector: "rack=r1" > "os=installed" byte-wise, so rack wins.
    expect(pick('rack=r1&os=installed')).toBe('rack-r1');
    expect(pick('uuid=4c4c4544-0037-3010-8048-b4c04f4a4e32')).toBe('by-uuid');
    expect(pick('RACK=r1')).toBe('default');
    expect(pick('')).toBe('default');
    expect(selectGroup(createGroupIndex(groups.filter((g) => g.id !== 'default')), labels('zone=z'))).toBe(null);
  });

  it('a selector with an empty value matches a missing label, as a Go map lookup would', () => {
    const index2 = createGroupIndex([group('no-os', { os: '' }), group('default', {})]);
    expect(selectGroup(index2, labels('mac=52:54:00:00:00:01'))?.id).toBe('no-os');
    expect(selectGroup(index2, labels('os=installed'))?.id).toBe('default');
  });

  it('identical selectors resolve by id (Matchbox leaves that order undefined)', () => {
    const twoDefaults = createGroupIndex([group('b', {}), group('a', {})]);
    expect(selectGroup(twoDefaults, labels(''))?.id).toBe('a');
  });

  it('leaves out groups whose MAC selector cannot match and reports them', () => {
    const index2 = createGroupIndex([group('bad', { mac: 'nope' }), group('ok', {})]);
    expect(index2.groups.map((g) => g.group.id)).toEqual(['ok']);
    expect(index2.problems).toEqual([{ groupId: 'bad', field: 'selector.mac', message: 'not a MAC address: "nope"' }]);
  });

  it('the cache rebuilds only after invalidate()', () => {
    let current = [group('a', {})];
    let builds = 0;
    const cache = createGroupIndexCache(() => {
      builds++;
      return current;
    });
    expect(selectGroup(cache.current(), labels(''))?.id).toBe('a');
    current = [group('b', {})];
    expect(selectGroup(cache.current(), labels(''))?.id).toBe('a');
    cache.invalidate();
    expect(selectGroup(cache.current(), labels(''))?.id).toBe('b');
    expect(builds).toBe(2);
  });
});
