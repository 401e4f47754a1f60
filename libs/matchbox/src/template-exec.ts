import { TemplateError } from './errors.js';
import { goSprint, type JsonValue } from './go-format.js';
import { compareBytes } from './select.js';
import type { Expr, TemplateNode } from './template-parse.js';

// Executes a parsed template over JSON data with Matchbox's option `missingkey=error`: a field that is not in the
// data is an error (Matchbox then answers 404), in `{{if}}` too, exactly like Go. A JSON null prints `<no value>`.
// Field lookups only see own properties of the data, never prototypes.

export type ExecLimits = { maxOutputLength: number };
export const DEFAULT_EXEC_LIMITS: ExecLimits = Object.freeze({ maxOutputLength: 4 * 1024 * 1024 });

type Value = JsonValue;
type Scope = { root: Value; out: string[]; length: number; limits: ExecLimits };

export function executeTemplate(
  nodes: readonly TemplateNode[],
  data: Value,
  limits: ExecLimits = DEFAULT_EXEC_LIMITS,
): string {
  const scope: Scope = { root: data, out: [], length: 0, limits };
  walk(nodes, data, scope);
  return scope.out.join('');
}

function walk(nodes: readonly TemplateNode[], dot: Value, scope: Scope): void {
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        write(scope, node.text, 0);
        break;
      case 'print': {
        const value = evaluate(node.expr, dot, scope, node.line);
        write(scope, value === null ? '<no value>' : goSprint(value), node.line);
        break;
      }
      case 'if': {
        const taken = node.branches.find((branch) => truth(evaluate(branch.cond, dot, scope, branch.line)));
        walk(taken ? taken.body : node.otherwise, dot, scope);
        break;
      }
      case 'range': {
        const items = iterate(evaluate(node.expr, dot, scope, node.line), node.line);
        if (items.length === 0) walk(node.otherwise, dot, scope);
        for (const item of items) walk(node.body, item, scope);
        break;
      }
    }
  }
}

function write(scope: Scope, text: string, line: number): void {
  scope.length += text.length;
  if (scope.length > scope.limits.maxOutputLength) {
    throw new TemplateError('template-exec', `output longer than ${scope.limits.maxOutputLength} characters`, line);
  }
  scope.out.push(text);
}

function evaluate(expr: Expr, dot: Value, scope: Scope, line: number): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'field':
      return field(expr.root ? scope.root : dot, expr.path, line);
    case 'call':
      return call(expr, dot, scope, line);
  }
}

function field(start: Value, path: readonly string[], line: number): Value {
  let value = start;
  for (const name of path) {
    if (value === null) throw new TemplateError('template-exec', `nil pointer evaluating interface {}.${name}`, line);
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new TemplateError('template-exec', `can't evaluate field ${name} in type ${goType(value)}`, line);
    }
    if (!Object.hasOwn(value, name))
      throw new TemplateError('template-exec', `map has no entry for key "${name}"`, line);
    value = value[name] as Value;
  }
  return value;
}

function call(expr: Extract<Expr, { kind: 'call' }>, dot: Value, scope: Scope, line: number): Value {
  const arg = (i: number): Value => evaluate(expr.args[i] as Expr, dot, scope, line);
  switch (expr.fn) {
    case 'not':
      return !truth(arg(0));
    case 'and':
    case 'or': {
      // Go 1.18+ evaluates these lazily and returns the deciding argument.
      let value: Value = null;
      for (let i = 0; i < expr.args.length; i++) {
        value = arg(i);
        if (truth(value) !== (expr.fn === 'and')) return value;
      }
      return value;
    }
    case 'eq': {
      const first = arg(0);
      for (let i = 1; i < expr.args.length; i++) if (equal(first, arg(i), line)) return true;
      return false;
    }
    case 'ne':
      return !equal(arg(0), arg(1), line);
    case 'index': {
      let value = arg(0);
      for (let i = 1; i < expr.args.length; i++) value = indexOne(value, arg(i), line);
      return value;
    }
    case 'len':
      return length(arg(0), line);
  }
}

function indexOne(value: Value, key: Value, line: number): Value {
  if (value === null) throw new TemplateError('template-exec', 'index of untyped nil', line);
  if (Array.isArray(value)) {
    if (typeof key !== 'number' || !Number.isInteger(key))
      throw new TemplateError('template-exec', 'cannot index slice/array with non-integer', line);
    if (key < 0 || key >= value.length) throw new TemplateError('template-exec', `index out of range: ${key}`, line);
    return value[key] as Value;
  }
  if (typeof value === 'object') {
    if (typeof key !== 'string')
      throw new TemplateError('template-exec', `value has type ${goType(key)}; should be string`, line);
    // Like Go's index on a map: a missing key gives the zero value (nil), not an error.
    return Object.hasOwn(value, key) ? (value[key] as Value) : null;
  }
  throw new TemplateError('template-exec', `can't index item of type ${goType(value)}`, line);
}

function length(value: Value, line: number): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (Array.isArray(value)) return value.length;
  if (value !== null && typeof value === 'object') return Object.keys(value).length;
  throw new TemplateError('template-exec', `len of type ${goType(value)}`, line);
}

function equal(a: Value, b: Value, line: number): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a !== typeof b) throw new TemplateError('template-exec', 'incompatible types for comparison', line);
  if (typeof a === 'object') throw new TemplateError('template-exec', `non-comparable type ${goType(a)}`, line);
  return a === b;
}

/** Go's truth: false, 0, "", empty list/map and nil are false. */
function truth(value: Value): boolean {
  if (value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  return Object.keys(value).length > 0;
}

/** Range items: list elements, or map values in sorted key order; nil ranges over nothing. */
function iterate(value: Value, line: number): Value[] {
  if (value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'object')
    return Object.keys(value)
      .sort(compareBytes)
      .map((k) => value[k] as Value);
  throw new TemplateError('template-exec', `range can't iterate over ${goSprint(value)}`, line);
}

function goType(value: Value): string {
  if (value === null) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'float64';
  if (typeof value === 'boolean') return 'bool';
  return Array.isArray(value) ? '[]interface {}' : 'map[string]interface {}';
}
