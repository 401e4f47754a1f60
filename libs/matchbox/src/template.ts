import { TemplateError } from './errors.js';
import { executeTemplate, DEFAULT_EXEC_LIMITS, type ExecLimits } from './template-exec.js';
import { parseTemplate, type TemplateNode } from './template-parse.js';
import type { TemplateData } from './variables.js';

/*
 * Templates for /generic. Matchbox renders them with Go text/template and the option `missingkey=error`
 * (matchbox/http/render.go). This is a small, safe subset of that language:
 *
 *   {{.key}}  {{.nested.key}}  {{.request.query.mac}}  {{.request.raw_query}}  {{.}}  {{$.key}} ($ = the root)
 *   {{if PIPE}} … {{else if PIPE}} … {{else}} … {{end}}
 *   {{range PIPE}} … {{.}} … {{else}} … {{end}}   (lists in order, maps by sorted key; dot = the element)
 *   functions: not X, and X Y…, or X Y…, eq X Y…, ne X Y, index X KEY…, len X
 *   literals "string" (JSON escapes), `raw`, numbers, true, false; {{/* comments *\/}}; {{- and -}} trim spaces
 *
 * Semantics follow Go: a key missing from the data is an error (also inside {{if}}; use `index . "key"`, which
 * yields nil for a missing key, to test optional keys); a JSON null prints `<no value>` (Go's text for a nil
 * value; with Matchbox's option it never appears for a *missing* key); numbers print as Go float64 `%v`
 * (`1e+06`); maps print as `map[k:v]`. Not supported (refused at parse time with the construct named):
 * pipelines with `|`, parentheses, variables other than `$`, with/define/template/block/break/continue and all
 * other functions. One intended difference: Go refuses `eq .n 3` when .n came from JSON (float64 vs int);
 * here numbers compare as numbers.
 */

export type CompiledTemplate = { readonly nodes: readonly TemplateNode[] };
export type TemplateResult<T> = { ok: true; value: T } | { ok: false; error: TemplateError };

/** Parse a template once (at load time); never throws. */
export function compileTemplate(source: string): TemplateResult<CompiledTemplate> {
  try {
    return { ok: true, value: Object.freeze({ nodes: parseTemplate(source) }) };
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, error };
    throw error;
  }
}

/** Execute a compiled template over the request's data; never throws. */
export function renderTemplate(
  template: CompiledTemplate,
  data: TemplateData,
  limits: ExecLimits = DEFAULT_EXEC_LIMITS,
): TemplateResult<string> {
  try {
    return { ok: true, value: executeTemplate(template.nodes, data, limits) };
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, error };
    throw error;
  }
}
