import { BUCKETS, type Group, type Profile, type TemplateRecord } from '@metalbus/events';
import type { DataDirResult } from './data-dir.js';

// Pushes a data directory into the KV buckets through a small writer (the lead implements it over NATS KV).
// Valid records are upserted; keys that no file provides any more are deleted (unless `prune: false`); keys whose
// files had errors are left alone, so a typo in one file never removes a profile machines are booting from.

export type SyncBucket = typeof BUCKETS.profiles | typeof BUCKETS.groups | typeof BUCKETS.templates;
export type SyncValue = Profile | Group | TemplateRecord;

export type DataDirWriter = {
  put(bucket: SyncBucket, key: string, value: SyncValue): Promise<void> | void;
  delete(bucket: SyncBucket, key: string): Promise<void> | void;
  keys(
    bucket: SyncBucket,
  ): Promise<Iterable<string> | AsyncIterable<string>> | Iterable<string> | AsyncIterable<string>;
};

export type SyncChange = { bucket: SyncBucket; key: string };
export type SyncReport = { put: SyncChange[]; deleted: SyncChange[]; kept: SyncChange[] };

export async function syncDataDir(
  result: DataDirResult,
  writer: DataDirWriter,
  options: { prune?: boolean } = {},
): Promise<SyncReport> {
  const report: SyncReport = { put: [], deleted: [], kept: [] };
  const plan: { bucket: SyncBucket; records: Map<string, SyncValue>; invalid: readonly string[] }[] = [
    {
      bucket: BUCKETS.profiles,
      records: new Map(result.profiles.map((p) => [p.id, p])),
      invalid: result.invalidKeys.profiles,
    },
    {
      bucket: BUCKETS.groups,
      records: new Map(result.groups.map((g) => [g.id, g])),
      invalid: result.invalidKeys.groups,
    },
    {
      bucket: BUCKETS.templates,
      records: new Map(result.templates.map((t) => [t.name, t])),
      invalid: result.invalidKeys.templates,
    },
  ];
  // Profiles before groups, so a watcher never sees a group whose profile is not there yet.
  for (const { bucket, records } of plan) {
    for (const [key, value] of records) {
      await writer.put(bucket, key, value);
      report.put.push({ bucket, key });
    }
  }
  if (options.prune === false) return report;
  // Deletes in reverse order: groups go before the profiles they point at.
  for (const { bucket, records, invalid } of [...plan].reverse()) {
    const existing: string[] = [];
    for await (const key of await writer.keys(bucket)) existing.push(key);
    for (const key of existing.sort()) {
      if (records.has(key)) continue;
      if (invalid.includes(key)) {
        report.kept.push({ bucket, key });
        continue;
      }
      await writer.delete(bucket, key);
      report.deleted.push({ bucket, key });
    }
  }
  return report;
}
