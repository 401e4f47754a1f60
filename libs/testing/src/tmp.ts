import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TmpDir = { path: string; cleanup(): Promise<void> };

/** A fresh directory under the OS temp dir; cleanup() removes it and everything in it. */
export async function tmpDir(prefix = 'metalbus-test-'): Promise<TmpDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
