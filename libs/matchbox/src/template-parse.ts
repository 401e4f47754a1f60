import { TemplateError } from './errors.js';

// Parser for the subset of Go text/template that /generic supports (see template.ts for the list). Anything
// outside the subset is a parse error naming the construct, so a template either works as in Matchbox or is
// refused when it is loaded; nothing in a template can call code outside the few built-in functions.

export const TEMPLATE_FUNCTIONS = ['not', 'and', 'or', 'eq', 'ne', 'index', 'len'] as const;
export type TemplateFunction = (typeof TEMPLATE_FUNCTIONS)[number];

export type Expr =
  | { kind: 'field'; root: boolean; path: readonly string[]; text: string }
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'call'; fn: TemplateFunction; args: readonly Expr[] };

export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'print'; expr: Expr; line: number }
  | {
      kind: 'if';
      branches: readonly { cond: Expr; body: readonly TemplateNode[]; line: number }[];
      otherwise: readonly TemplateNode[];
    }
  | { kind: 'range'; expr: Expr; body: readonly TemplateNode[]; otherwise: readonly TemplateNode[]; line: number };

type Token =
  | { t: 'field'; root: boolean; path: string[]; text: string }
  | { t: 'ident'; name: string }
  | { t: 'literal'; value: string | number | boolean };

type Item = { kind: 'text'; text: string } | { kind: 'action'; tokens: Token[]; line: number };

const SPACE = /[ \t\r\n]/;
const MAX_DEPTH = 64;
const UNSUPPORTED = new Set([
  'with',
  'define',
  'template',
  'block',
  'break',
  'continue',
  'nil',
  'print',
  'printf',
  'println',
  'call',
  'html',
  'js',
  'urlquery',
  'slice',
]);

/** Parse a template source into a tree, or throw TemplateError (code `template-parse`) with the line. */
export function parseTemplate(source: string): readonly TemplateNode[] {
  const items = scan(source);
  const { nodes, next, term } = parseList(items, 0, 0);
  if (term !== null) throw new TemplateError('template-parse', `unexpected {{${term.word}}}`, term.line);
  if (next !== items.length) throw new TemplateError('template-parse', 'unexpected input', 1);
  return nodes;
}

type Terminator = { word: 'else' | 'end'; rest: Token[]; line: number };

function parseList(
  items: Item[],
  start: number,
  depth: number,
): { nodes: TemplateNode[]; next: number; term: Terminator | null } {
  const nodes: TemplateNode[] = [];
  let i = start;
  while (i < items.length) {
    const item = items[i++] as Item;
    if (item.kind === 'text') {
      if (item.text !== '') nodes.push({ kind: 'text', text: item.text });
      continue;
    }
    const [head, ...rest] = item.tokens;
    if (head === undefined) throw new TemplateError('template-parse', 'missing value for command', item.line);
    if (head.t === 'ident' && (head.name === 'else' || head.name === 'end')) {
      return { nodes, next: i, term: { word: head.name, rest, line: item.line } };
    }
    if (head.t === 'ident' && (head.name === 'if' || head.name === 'range')) {
      if (depth >= MAX_DEPTH) throw new TemplateError('template-parse', `nesting deeper than ${MAX_DEPTH}`, item.line);
      const parsed =
        head.name === 'if' ? parseIf(items, i, rest, item.line, depth) : parseRange(items, i, rest, item.line, depth);
      nodes.push(parsed.node);
      i = parsed.next;
      continue;
    }
    nodes.push({ kind: 'print', expr: parseExpr(item.tokens, item.line), line: item.line });
  }
  return { nodes, next: i, term: null };
}

function parseIf(
  items: Item[],
  start: number,
  condTokens: Token[],
  line: number,
  depth: number,
): { node: TemplateNode; next: number } {
  const branches: { cond: Expr; body: TemplateNode[]; line: number }[] = [];
  let cond = parseExpr(condTokens, line);
  let branchLine = line;
  let i = start;
  for (;;) {
    const { nodes, next, term } = parseList(items, i, depth + 1);
    if (term === null) throw new TemplateError('template-parse', 'unexpected EOF: {{if}} without {{end}}', line);
    branches.push({ cond, body: nodes, line: branchLine });
    i = next;
    if (term.word === 'end') {
      if (term.rest.length > 0) throw new TemplateError('template-parse', 'unexpected arguments to {{end}}', term.line);
      return { node: { kind: 'if', branches, otherwise: [] }, next: i };
    }
    const [elseHead, ...elseRest] = term.rest;
    if (elseHead === undefined) {
      const tail = parseList(items, i, depth + 1);
      if (tail.term?.word !== 'end' || tail.term.rest.length > 0)
        throw new TemplateError('template-parse', 'expected {{end}} after {{else}}', term.line);
      return { node: { kind: 'if', branches, otherwise: tail.nodes }, next: tail.next };
    }
    if (elseHead.t !== 'ident' || elseHead.name !== 'if')
      throw new TemplateError('template-parse', 'only {{else}} and {{else if …}} are supported', term.line);
    cond = parseExpr(elseRest, term.line);
    branchLine = term.line;
  }
}

function parseRange(
  items: Item[],
  start: number,
  tokens: Token[],
  line: number,
  depth: number,
): { node: TemplateNode; next: number } {
  const expr = parseExpr(tokens, line);
  const body = parseList(items, start, depth + 1);
  if (body.term === null) throw new TemplateError('template-parse', 'unexpected EOF: {{range}} without {{end}}', line);
  if (body.term.rest.length > 0)
    throw new TemplateError(
      'template-parse',
      `unexpected arguments to {{${body.term.word}}} in {{range}}`,
      body.term.line,
    );
  if (body.term.word === 'end')
    return { node: { kind: 'range', expr, body: body.nodes, otherwise: [], line }, next: body.next };
  const tail = parseList(items, body.next, depth + 1);
  if (tail.term?.word !== 'end' || tail.term.rest.length > 0)
    throw new TemplateError('template-parse', 'expected {{end}} after {{else}} in {{range}}', body.term.line);
  return { node: { kind: 'range', expr, body: body.nodes, otherwise: tail.nodes, line }, next: tail.next };
}

function parseExpr(tokens: Token[], line: number): Expr {
  const [head, ...rest] = tokens;
  if (head === undefined) throw new TemplateError('template-parse', 'missing value for command', line);
  if (head.t === 'ident' && head.name !== 'true' && head.name !== 'false') {
    if (!(TEMPLATE_FUNCTIONS as readonly string[]).includes(head.name)) {
      throw new TemplateError('template-parse', `function "${head.name}" is not supported here`, line);
    }
    const args = rest.map((token) => operand(token, line));
    const arity =
      head.name === 'not' || head.name === 'len'
        ? [1, 1]
        : head.name === 'ne'
          ? [2, 2]
          : head.name === 'index'
            ? [1, Infinity]
            : [2, Infinity];
    if (args.length < (arity[0] as number) || args.length > (arity[1] as number)) {
      throw new TemplateError('template-parse', `wrong number of args for ${head.name}: ${args.length}`, line);
    }
    return { kind: 'call', fn: head.name as TemplateFunction, args };
  }
  if (rest.length > 0)
    throw new TemplateError('template-parse', `can't give argument to non-function ${describe(head)}`, line);
  return operand(head, line);
}

function operand(token: Token, line: number): Expr {
  if (token.t === 'field') return { kind: 'field', root: token.root, path: token.path, text: token.text };
  if (token.t === 'literal') return { kind: 'literal', value: token.value };
  if (token.name === 'true' || token.name === 'false') return { kind: 'literal', value: token.name === 'true' };
  throw new TemplateError(
    'template-parse',
    `"${token.name}" is not supported as an argument (no nested calls or parentheses)`,
    line,
  );
}

function describe(token: Token): string {
  return token.t === 'field' ? token.text : token.t === 'ident' ? token.name : JSON.stringify(token.value);
}

// ---- scanning: text / {{ action }} / {{/* comment */}}, with Go's `{{- ` and ` -}}` whitespace trimming ----

function scan(source: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let trimNext = false;
  let line = 1;
  let counted = 0;
  while (pos <= source.length) {
    const open = source.indexOf('{{', pos);
    let text = source.slice(pos, open < 0 ? source.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      items.push({ kind: 'text', text });
      break;
    }
    line += countNewlines(source, counted, open);
    counted = open;
    let start = open + 2;
    if (source[start] === '-' && SPACE.test(source[start + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      start += 2;
    }
    items.push({ kind: 'text', text });
    const close = findClose(source, start, line);
    let end = close;
    if (SPACE.test(source[close - 2] ?? '') && source[close - 1] === '-') {
      trimNext = true;
      end = close - 2;
    }
    const body = source.slice(start, end).trim();
    if (!body.startsWith('/*')) items.push({ kind: 'action', tokens: tokenize(body, line), line });
    else if (!body.endsWith('*/'))
      throw new TemplateError('template-parse', 'comment ends before closing delimiter', line);
    pos = close + 2;
  }
  return items;
}

function findClose(source: string, from: number, line: number): number {
  let i = from;
  const afterSpace = source.slice(from).match(/^[ \t\r\n]*/)?.[0].length ?? 0;
  if (source.startsWith('/*', from + afterSpace)) {
    const endComment = source.indexOf('*/', from + afterSpace + 2);
    if (endComment < 0) throw new TemplateError('template-parse', 'unclosed comment', line);
    i = endComment + 2;
  }
  while (i < source.length) {
    const c = source[i];
    if (c === '"' || c === '`') {
      const endQuote = c === '`' ? source.indexOf('`', i + 1) : endOfQuoted(source, i);
      if (endQuote < 0) throw new TemplateError('template-parse', 'unterminated quoted string', line);
      i = endQuote + 1;
      continue;
    }
    if (c === '}' && source[i + 1] === '}') return i;
    i++;
  }
  throw new TemplateError('template-parse', 'unclosed action', line);
}

function endOfQuoted(source: string, at: number): number {
  for (let i = at + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === '"') return i;
    else if (source[i] === '\n') return -1;
  }
  return -1;
}

function tokenize(body: string, line: number): Token[] {
  const tokens: Token[] = [];
  let rest = body;
  for (;;) {
    rest = rest.replace(/^[ \t\r\n]+/, '');
    if (rest === '') return tokens;
    let m: RegExpMatchArray | null;
    if (
      (m = rest.match(/^(\$?)((?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)?/)) &&
      m[0] !== '' &&
      !(m[1] === '' && m[2] === undefined)
    ) {
      const root = m[1] === '$';
      const chain = m[2] ?? '';
      if (/^[A-Za-z0-9_]/.test(rest.slice(m[0].length))) {
        throw new TemplateError(
          'template-parse',
          root ? 'variables other than $ are not supported' : `bad field name in ${JSON.stringify(m[0])}`,
          line,
        );
      }
      const path = chain === '.' || chain === '' ? [] : chain.slice(1).split('.');
      tokens.push({ t: 'field', root, path, text: m[0] });
    } else if ((m = rest.match(/^"(?:[^"\\\n]|\\.)*"/))) {
      tokens.push({ t: 'literal', value: unquote(m[0], line) });
    } else if ((m = rest.match(/^`[^`]*`/))) {
      tokens.push({ t: 'literal', value: m[0].slice(1, -1) });
    } else if ((m = rest.match(/^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_.])/))) {
      tokens.push({ t: 'literal', value: Number(m[0]) });
    } else if ((m = rest.match(/^[A-Za-z_][A-Za-z0-9_]*/))) {
      if (UNSUPPORTED.has(m[0])) throw new TemplateError('template-parse', `"${m[0]}" is not supported`, line);
      tokens.push({ t: 'ident', name: m[0] });
    } else {
      const what =
        rest.startsWith(':=') || rest.startsWith('=')
          ? 'variable declarations'
          : rest[0] === '|'
            ? 'pipelines (|)'
            : rest[0] === '(' || rest[0] === ')'
              ? 'parentheses'
              : `character ${JSON.stringify(rest[0])}`;
      throw new TemplateError('template-parse', `${what} not supported`, line);
    }
    rest = rest.slice(m[0].length);
  }
}

function unquote(quoted: string, line: number): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw new TemplateError('template-parse', `unsupported escape in ${quoted} (use JSON escapes)`, line);
  }
}

function countNewlines(source: string, from: number, to: number): number {
  let n = 0;
  for (let i = source.indexOf('\n', from); i >= 0 && i < to; i = source.indexOf('\n', i + 1)) n++;
  return n;
}
