import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileTemplate, renderTemplate, type TemplateData } from '@metalbus/matchbox';

const render = (source: string, data: TemplateData): string => {
  const compiled = compileTemplate(source);
  if (!compiled.ok) return `PARSE ${compiled.error.message}`;
  const out = renderTemplate(compiled.value, data);
  return out.ok ? out.value : `EXEC ${out.error.message}`;
};

const data: TemplateData = {
  uuid: 'a1b2c3d4',
  service_name: 'etcd2',
  empty: '',
  zero: 0,
  nothing: null,
  n: 3,
  list: ['a', 'b'],
  none: [],
  m: { y: 2, x: 1 },
  nested: { key: 'deep', more: { k: 'v' } },
  request: {
    query: { foo: 'some-param', mac: '52:54:00:a1:9c:ae' },
    raw_query: 'foo=some-param&mac=52-54-00-a1-9c-ae',
  },
};

describe('generic templates (Go text/template subset, missingkey=error)', () => {
  it('renders the Matchbox generic_test.go template', () => {
    expect(
      render('#foo-bar-baz template\nUUID={{.uuid}}\nSERVICE={{.service_name}}\nFOO={{.request.query.foo}}\n', data),
    ).toBe('#foo-bar-baz template\nUUID=a1b2c3d4\nSERVICE=etcd2\nFOO=some-param\n');
  });

  it('fields, $, literals, null and composites', () => {
    expect(render('{{.nested.key}} {{.nested.more.k}} {{.request.raw_query}} {{$.n}}', data)).toBe(
      'deep v foo=some-param&mac=52-54-00-a1-9c-ae 3',
    );
    expect(render('{{.nothing}}|{{.list}}|{{.m}}|{{"q\\"x"}}|{{`raw`}}|{{7}}|{{true}}', data)).toBe(
      '<no value>|[a b]|map[x:1 y:2]|q"x|raw|7|true',
    );
  });

  it('if / else if / else with Go truth', () => {
    const t =
      '{{if .empty}}A{{else if .zero}}B{{else if .none}}C{{else if .nothing}}D{{else}}E{{end}}{{if .list}}F{{end}}{{if not .empty}}G{{end}}';
    expect(render(t, data)).toBe('EFG');
    expect(render('{{if and .n .list}}yes{{end}}{{if or .empty .zero}}no{{else}}neither{{end}}', data)).toBe(
      'yesneither',
    );
    expect(
      render(
        '{{if eq .uuid "a1b2c3d4" "x"}}eq{{end}}{{if ne .n 4}}ne{{end}}{{if eq .nothing .nothing}}nil{{end}}',
        data,
      ),
    ).toBe('eqnenil');
  });

  it('range over lists and maps (sorted keys), with else and $', () => {
    expect(
      render(
        '{{range .list}}[{{.}}:{{$.n}}]{{end}}{{range .m}}<{{.}}>{{end}}{{range .none}}x{{else}}empty{{end}}{{range .nothing}}x{{else}}nil{{end}}',
        data,
      ),
    ).toBe('[a:3][b:3]<1><2>emptynil');
  });

  it('index and len; index gives nil for a missing key (the way to test optional keys)', () => {
    expect(
      render(
        '{{index .list 1}} {{index .nested "more" "k"}} {{index . "absent"}} {{len .list}} {{len .m}} {{len "héllo"}}',
        data,
      ),
    ).toBe('b v <no value> 2 2 6');
    expect(render('{{if index . "absent"}}set{{else}}unset{{end}}', data)).toBe('unset');
  });

  it('trims whitespace with {{- and -}} and drops comments', () => {
    expect(render('a  \n {{- .n -}} \n  b {{/* note */}}c{{- /* trimmed */ -}}  d', data)).toBe('a3b cd');
    expect(render('{{-3}}', data)).toBe('-3');
  });

  it('a missing key is an error, also in if (Matchbox answers 404), as are wrong types', () => {
    expect(render('KEY={{.missing_key}}\n', data)).toBe('EXEC line 1: map has no entry for key "missing_key"');
    expect(render('x\n{{if .missing}}a{{end}}', data)).toBe('EXEC line 2: map has no entry for key "missing"');
    expect(render('{{.request.query.nope}}', data)).toBe('EXEC line 1: map has no entry for key "nope"');
    expect(render('{{.uuid.x}}', data)).toBe("EXEC line 1: can't evaluate field x in type string");
    expect(render('{{.nothing.x}}', data)).toBe('EXEC line 1: nil pointer evaluating interface {}.x');
    expect(render('{{range .n}}x{{end}}', data)).toBe("EXEC line 1: range can't iterate over 3");
    expect(render('{{eq .n "3"}}', data)).toBe('EXEC line 1: incompatible types for comparison');
    expect(render('{{index .list 5}}', data)).toBe('EXEC line 1: index out of range: 5');
  });

  it('never reaches prototypes', () => {
    expect(render('{{.constructor}}', data)).toBe('EXEC line 1: map has no entry for key "constructor"');
    expect(render('{{.list.length}}', data)).toBe("EXEC line 1: can't evaluate field length in type []interface {}");
    expect(render('{{index . "__proto__"}}', data)).toBe('<no value>');
  });

  it('refuses what is outside the subset at parse time, naming it', () => {
    const cases = {
      '{{printf "%s" .a}}': 'PARSE line 1: "printf" is not supported',
      '{{.a | len}}': 'PARSE line 1: pipelines (|) not supported',
      '{{$x := .a}}': 'PARSE line 1: variables other than $ are not supported',
      '{{with .a}}x{{end}}': 'PARSE line 1: "with" is not supported',
      '{{template "x"}}': 'PARSE line 1: "template" is not supported',
      '{{len (index . "a")}}': 'PARSE line 1: parentheses not supported',
      '{{exec "rm"}}': 'PARSE line 1: function "exec" is not supported here',
      '{{.a .b}}': "PARSE line 1: can't give argument to non-function .a",
      'a\n{{if .a}}': 'PARSE line 2: unexpected EOF: {{if}} without {{end}}',
      '{{end}}': 'PARSE line 1: unexpected {{end}}',
      '{{.a': 'PARSE line 1: unclosed action',
      '{{}}': 'PARSE line 1: missing value for command',
      '{{not}}': 'PARSE line 1: wrong number of args for not: 0',
      '{{/* open }}': 'PARSE line 1: unclosed comment',
    };
    const results = Object.fromEntries(Object.keys(cases).map((source) => [source, render(source, data)]));
    expect(results).toEqual(cases);
  });

  it('caps the output size', () => {
    const compiled = compileTemplate('{{range .list}}{{range $.list}}xxxxxxxx{{end}}{{end}}');
    if (!compiled.ok) throw compiled.error;
    const out = renderTemplate(compiled.value, data, { maxOutputLength: 20 });
    expect(out.ok ? out.value : out.error.message).toBe('line 0: output longer than 20 characters');
  });

  it('never throws on arbitrary sources', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (source) => {
        const compiled = compileTemplate(source);
        if (compiled.ok) renderTemplate(compiled.value, data);
      }),
      { seed: 20260822, numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('{{', '}}', '.a', 'if ', 'else', 'end', 'range ', '-', ' ', '"', '.list', '$'), {
          maxLength: 30,
        }),
        (parts) => {
          const compiled = compileTemplate(parts.join(''));
          if (compiled.ok) renderTemplate(compiled.value, data);
        },
      ),
      { seed: 20260822, numRuns: 500 },
    );
  });
});
