import { describe, expect, it } from 'vitest';
import { groupSchema } from '@metalbus/events';
import { collectVariables, goFloat, goSprint, parseLabels, renderMetadata } from '@metalbus/matchbox';

const request = (query: string) => {
  const result = parseLabels(query);
  if (!result.ok) throw result.error;
  return result.value;
};

describe('/metadata flattening (Matchbox renderAsEnvFile)', () => {
  it('flattens metadata, selectors and the request, as in matchbox/http/metadata_test.go (lines sorted here)', () => {
    const group = groupSchema.parse({
      id: 'test-group',
      profile: 'p',
      selector: { mac: '52:54:00:a1:9c:ae' },
      metadata: { meta: 'data', etcd: { name: 'node1' }, some: { nested: { data: 'some-value' } } },
    });
    const body = renderMetadata(collectVariables(group, request('mac=52-54-00-a1-9c-ae&foo=bar&count=3&gate=true')));
    expect(body).toBe(
      [
        'ETCD_NAME=node1',
        'MAC=52:54:00:a1:9c:ae',
        'META=data',
        'REQUEST_QUERY_COUNT=3',
        'REQUEST_QUERY_FOO=bar',
        'REQUEST_QUERY_GATE=true',
        'REQUEST_QUERY_MAC=52:54:00:a1:9c:ae',
        'REQUEST_RAW_QUERY=mac=52-54-00-a1-9c-ae&foo=bar&count=3&gate=true',
        'SOME_NESTED_DATA=some-value',
        '',
      ].join('\n'),
    );
  });

  it('prints numbers and booleans as Go does, skips arrays and nulls, lets selectors override metadata', () => {
    const group = groupSchema.parse({
      id: 'g',
      profile: 'p',
      selector: { Role: 'from-selector' },
      metadata: {
        num: 3,
        big: 1000000,
        frac: 0.5,
        yes: true,
        no: false,
        list: [1, 2],
        nothing: null,
        role: 'from-metadata',
        request: 'replaced',
      },
    });
    expect(renderMetadata(collectVariables(group, request('')))).toBe(
      'BIG=1e+06\nFRAC=0.5\nNO=false\nNUM=3\nREQUEST_RAW_QUERY=\nROLE=from-selector\nYES=true\n',
    );
  });
});

describe('Go value printing', () => {
  it('formats float64 like %v', () => {
    expect([0, -0, 3, 123456, 1000000, 1234567.5, 0.0001, 0.00001, 1e21, -2.5e-7, 1e100].map(goFloat)).toEqual([
      '0',
      '-0',
      '3',
      '123456',
      '1e+06',
      '1.2345675e+06',
      '0.0001',
      '1e-05',
      '1e+21',
      '-2.5e-07',
      '1e+100',
    ]);
  });
  it('formats composites like fmt.Sprint', () => {
    expect(goSprint({ b: [1, 'x', null], a: { z: true } })).toBe('map[a:map[z:true] b:[1 x <nil>]]');
  });
});
