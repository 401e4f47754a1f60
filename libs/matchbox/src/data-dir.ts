import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  groupSchema,
  profileSchema,
  templateRecordSchema,
  type Group,
  type Profile,
  type TemplateRecord,
} from '@metalbus/events';
import type { z } from 'zod';
import { normalizeLabel } from './labels.js';
import { compileTemplate } from './template.js';

// Reads a Matchbox data directory (`-data-path`): profiles/*.json, groups/*.json, generic/*. Every file is
// validated with the record schemas of @metalbus/events and EVERY problem is collected, never stopping at the
// first. A file with any problem is not loaded. Facts from Matchbox's file store (matchbox/storage/filestore.go):
// - a profile is looked up by file name (`profiles/<id>.json`), so a profile whose `id` differs from its file
//   name cannot be selected there: that is an error here;
// - groups are listed from every file and are selected by content, so a group id may differ from its file name;
//   two groups with the same id are an error (they would share one KV key);
// - a group's `mac` selector must parse as a MAC (Matchbox drops the group otherwise);
// - a group whose profile is missing selects nothing in Matchbox (404): an error here; same for a profile whose
//   `generic_id` names no template.
// Matchbox's ignition/ and cloud/ directories are not served by metalbus; they are listed in `skipped`.

export type DataDirError = { file: string; field: string; message: string };

export type DataDirResult = {
  profiles: Profile[];
  groups: Group[];
  templates: TemplateRecord[];
  errors: DataDirError[];
  /** Files and directories that were not read (not `.json`, hidden, or a Matchbox feature metalbus does not serve). */
  skipped: string[];
  /** Keys whose files had errors, per bucket: a sync must neither write nor delete them. */
  invalidKeys: { profiles: string[]; groups: string[]; templates: string[] };
};

const MAX_FILE_BYTES = 1024 * 1024;
const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;

type FileEntry = { rel: string; base: string; mtime: Date; text: string };

export async function readDataDir(dir: string): Promise<DataDirResult> {
  const result: DataDirResult = {
    profiles: [],
    groups: [],
    templates: [],
    errors: [],
    skipped: [],
    invalidKeys: { profiles: [], groups: [], templates: [] },
  };
  const error = (file: string, field: string, message: string) => result.errors.push({ file, field, message });

  for (const entry of await listDir(dir, '', result)) {
    if (!['profiles', 'groups', 'generic'].includes(entry)) result.skipped.push(entry);
  }

  const badProfiles = new Set<string>();
  for (const file of await readFiles(dir, 'profiles', '.json', result, badProfiles)) {
    const profile = parseJson(file, profileSchema, error);
    if (profile !== null && profile.id !== file.base)
      error(file.rel, 'id', `must equal the file name "${file.base}" (Matchbox finds a profile by its file name)`);
    if (profile === null || profile.id !== file.base) badProfiles.add(file.base);
    else result.profiles.push(profile);
  }

  const groupFiles = new Map<string, string>();
  const badGroups = new Set<string>();
  for (const file of await readFiles(dir, 'groups', '.json', result, badGroups)) {
    const group = parseJson(file, groupSchema, error);
    if (group === null) {
      badGroups.add(file.base);
      continue;
    }
    let ok = true;
    const selector: Record<string, string> = {};
    for (const [key, value] of Object.entries(group.selector)) {
      const normalized = normalizeLabel(key, value);
      if (normalized === null) {
        error(file.rel, `selector.${key}`, `not a MAC address: ${JSON.stringify(value)}`);
        ok = false;
      }
      selector[key] = normalized ?? value;
    }
    const other = groupFiles.get(group.id);
    if (other !== undefined) {
      // Ambiguous: neither file is loaded (the first one is dropped below).
      error(file.rel, 'id', `duplicate group id "${group.id}" (also in ${other})`);
      ok = false;
    } else {
      groupFiles.set(group.id, file.rel);
    }
    if (ok) result.groups.push({ ...group, selector });
    else badGroups.add(group.id);
  }

  const badTemplates = new Set<string>();
  for (const file of await readFiles(dir, 'generic', '', result, badTemplates)) {
    if (!NAME_RE.test(file.base)) {
      error(file.rel, 'name', 'file name must be 1-128 of A-Z a-z 0-9 . _ -');
      badTemplates.add(file.base);
      continue;
    }
    const compiled = compileTemplate(file.text);
    if (!compiled.ok) {
      error(file.rel, 'body', compiled.error.message);
      badTemplates.add(file.base);
      continue;
    }
    const record = templateRecordSchema.safeParse({
      name: file.base,
      body: file.text,
      updatedAt: file.mtime.toISOString(),
    });
    if (record.success) result.templates.push(record.data);
    else for (const issue of record.error.issues) error(file.rel, fieldOf(issue.path), issue.message);
  }

  // Cross references: a file pointing at something that is not loaded is not loaded either.
  const templateNames = new Set(result.templates.map((t) => t.name));
  result.profiles = result.profiles.filter((profile) => {
    if (profile.generic_id === undefined || profile.generic_id === '' || templateNames.has(profile.generic_id))
      return true;
    error(
      `profiles/${profile.id}.json`,
      'generic_id',
      `no template "${profile.generic_id}" is loaded (generic/${profile.generic_id})`,
    );
    badProfiles.add(profile.id);
    return false;
  });
  const profileIds = new Set(result.profiles.map((p) => p.id));
  result.groups = result.groups.filter((group) => {
    if (badGroups.has(group.id)) return false;
    if (profileIds.has(group.profile)) return true;
    const why = badProfiles.has(group.profile) ? 'has errors' : 'does not exist';
    error(
      groupFiles.get(group.id) ?? `groups/${group.id}.json`,
      'profile',
      `profile "${group.profile}" ${why} (profiles/${group.profile}.json)`,
    );
    badGroups.add(group.id);
    return false;
  });

  result.invalidKeys.profiles = [...badProfiles].sort();
  result.invalidKeys.groups = [...badGroups].sort();
  result.invalidKeys.templates = [...badTemplates].sort();
  return result;
}

function parseJson<S extends z.ZodType>(
  file: FileEntry,
  schema: S,
  error: (file: string, field: string, message: string) => void,
): z.output<S> | null {
  let json: unknown;
  try {
    json = JSON.parse(file.text);
  } catch (cause) {
    error(file.rel, '(json)', cause instanceof Error ? cause.message : 'invalid JSON');
    return null;
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) error(file.rel, fieldOf(issue.path), issue.message);
  return null;
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

async function listDir(dir: string, rel: string, result: DataDirResult): Promise<string[]> {
  try {
    return (await readdir(join(dir, rel))).sort();
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && rel !== '') return [];
    result.errors.push({
      file: rel === '' ? '.' : rel,
      field: '(file)',
      message: cause instanceof Error ? cause.message : String(cause),
    });
    return [];
  }
}

/** The readable files of `sub`; the keys of unreadable ones go to `bad`. */
async function readFiles(
  dir: string,
  sub: string,
  ext: string,
  result: DataDirResult,
  bad: Set<string>,
): Promise<FileEntry[]> {
  const files: FileEntry[] = [];
  for (const name of await listDir(dir, sub, result)) {
    const rel = `${sub}/${name}`;
    if (name.startsWith('.') || !name.endsWith(ext)) {
      result.skipped.push(rel);
      continue;
    }
    const path = join(dir, sub, name);
    const base = ext === '' ? name : name.slice(0, -ext.length);
    try {
      const info = await stat(path);
      if (!info.isFile()) {
        result.skipped.push(rel);
        continue;
      }
      if (info.size > MAX_FILE_BYTES) {
        result.errors.push({ file: rel, field: '(file)', message: `larger than ${MAX_FILE_BYTES} bytes` });
        bad.add(base);
        continue;
      }
      const text = await readFile(path, 'utf8');
      files.push({ rel, base, mtime: info.mtime, text });
    } catch (cause) {
      bad.add(base);
      result.errors.push({
        file: rel,
        field: '(file)',
        message: cause instanceof Error ? cause.message : String(cause),
      });
    }
  }
  return files;
}
