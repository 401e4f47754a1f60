import { parseArgs } from 'node:util';
import { BUCKETS, type BucketName } from '@metalbus/events';
import { UsageError, type Command } from '../command.js';

const NAMES = Object.values(BUCKETS) as string[];
const decoder = new TextDecoder();

export const kvCommand: Command = {
  name: 'kv',
  summary: 'show state: every key of a bucket, or one value',
  usage: `metalbus kv <${NAMES.join('|')}> [key] [--json]`,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    });
    const [bucket, key, ...rest] = positionals;
    if (bucket === undefined || !NAMES.includes(bucket) || rest.length > 0) {
      throw new UsageError(bucket === undefined ? 'a bucket is required' : `unknown bucket ${bucket}`);
    }
    const bus = await ctx.bus();
    const kv = await bus.kvm.open(bus.names.bucket(bucket as BucketName));
    if (key !== undefined) {
      const entry = await kv.get(key);
      if (entry === null || entry.operation !== 'PUT') {
        ctx.err(`${bucket}: no key ${key}`);
        return 1;
      }
      ctx.out(pretty(decoder.decode(entry.value), values.json));
      return 0;
    }
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    keys.sort();
    for (const k of keys) {
      const entry = await kv.get(k);
      if (entry === null || entry.operation !== 'PUT') continue;
      const text = decoder.decode(entry.value);
      ctx.out(values.json ? JSON.stringify({ key: k, value: safeJson(text) }) : `${k}  ${oneLine(text)}`);
    }
    if (keys.length === 0 && !values.json) ctx.err(`${bucket}: empty`);
    return 0;
  },
};

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function pretty(text: string, json: boolean): string {
  const value = safeJson(text);
  return typeof value === 'string' ? value : JSON.stringify(value, null, json ? 0 : 2);
}

function oneLine(text: string): string {
  const value = safeJson(text);
  const line = typeof value === 'string' ? value : JSON.stringify(value);
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
