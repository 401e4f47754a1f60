import { parseArgs } from 'node:util';
import { createKvWriter } from '@metalbus/bus';
import { readDataDir, syncDataDir } from '@metalbus/matchbox';
import { UsageError, type Command } from '../command.js';

export const loadCommand: Command = {
  name: 'load',
  summary: 'validate a Matchbox data directory (profiles/, groups/, generic/) and load it into the KV buckets',
  usage: 'metalbus load <data-dir> [--check] [--no-prune]',
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { check: { type: 'boolean', default: false }, 'no-prune': { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError('exactly one data directory is required');
    const dir = positionals[0] as string;
    const result = await readDataDir(dir);
    for (const e of result.errors) ctx.err(`${e.file}: ${e.field}: ${e.message}`);
    ctx.out(
      `${dir}: ${result.profiles.length} profiles, ${result.groups.length} groups, ${result.templates.length} templates` +
        (result.errors.length > 0 ? `, ${result.errors.length} errors (files with errors are not loaded)` : ''),
    );
    if (values.check) return result.errors.length > 0 ? 1 : 0;
    const bus = await ctx.bus();
    const report = await syncDataDir(result, createKvWriter(bus), { prune: !values['no-prune'] });
    for (const c of report.put) ctx.out(`put     ${c.bucket}/${c.key}`);
    for (const c of report.deleted) ctx.out(`deleted ${c.bucket}/${c.key}`);
    for (const c of report.kept) ctx.out(`kept    ${c.bucket}/${c.key} (its file has errors)`);
    return result.errors.length > 0 ? 1 : 0;
  },
};
