import { BusError, createNames } from '@metalbus/bus';
import { describe, expect, it } from 'vitest';

const id = '4c4c4544-0042-3510-8052-b4c04f564433';

describe('names', () => {
  it('are the real names without a namespace', () => {
    const n = createNames('');
    expect({
      stream: n.stream,
      streamSubjects: n.streamSubjects,
      subject: n.subject('power.requested', id),
      pattern: n.pattern('power.requested'),
      all: n.pattern('all'),
      bucket: n.bucket('boot-intents'),
      local: n.local(`machine.discovered.${id}`),
    }).toEqual({
      stream: 'MACHINES',
      streamSubjects: ['machine.>'],
      subject: `machine.power.requested.${id}`,
      pattern: 'machine.power.requested.*',
      all: 'machine.>',
      bucket: 'boot-intents',
      local: `machine.discovered.${id}`,
    });
  });

  it('prefix everything with a namespace', () => {
    const n = createNames('t123');
    expect({
      stream: n.stream,
      streamSubjects: n.streamSubjects,
      subject: n.subject('agent.connected', id),
      pattern: n.pattern('lifecycle'),
      all: n.pattern('all'),
      bucket: n.bucket('machines'),
      local: n.local(`t123.machine.lifecycle.${id}`),
      foreign: n.local(`machine.lifecycle.${id}`),
      other: n.local(`t1234.machine.lifecycle.${id}`),
    }).toEqual({
      stream: 't123_MACHINES',
      streamSubjects: ['t123.machine.>'],
      subject: `t123.machine.agent.connected.${id}`,
      pattern: 't123.machine.lifecycle.*',
      all: 't123.machine.>',
      bucket: 't123-machines',
      local: `machine.lifecycle.${id}`,
      foreign: null,
      other: null,
    });
  });

  it('refuse namespaces that would break subjects or stream names', () => {
    for (const bad of ['a.b', 'a b', 'x>', '*', 'a'.repeat(33)]) {
      expect(() => createNames(bad)).toThrow(BusError);
    }
    expect(() => createNames('a.b')).toThrow(expect.objectContaining({ code: 'invalid-namespace' }));
  });
});
