import type { BmcRecord } from '@metalbus/events';
import { openSecret, type Keyring } from '@metalbus/secrets';
import type { Logger } from 'pino';
import type { OpenedBmc } from '../drivers/probe.js';

/** Why a record's password cannot be used; `code` becomes the command outcome's error code. */
export type CredentialFailure = { code: 'credentials'; message: string };
export type OpenResult = { ok: true; value: OpenedBmc } | { ok: false; error: CredentialFailure };

export type CredentialOpener = {
  /** The record with its password opened. Plain passwords are allowed (development) and warned about once. */
  open(record: BmcRecord): OpenResult;
};

/**
 * Opens `bmcs` records with the service's keyring. The plaintext lives only in the returned object (handed to a
 * driver); nothing here logs it, and failure messages name the machine and key id, never key or password.
 */
export function createCredentialOpener(keyring: Keyring, logger: Logger): CredentialOpener {
  const warnedPlain = new Set<string>();
  return {
    open(record) {
      const { password, ...rest } = record;
      if (password === null) return { ok: true, value: { ...rest, password: null } };
      if ('plain' in password) {
        if (!warnedPlain.has(record.machineId)) {
          warnedPlain.add(record.machineId);
          logger.warn(
            { machineId: record.machineId },
            'BMC password stored in plain text in the bmcs bucket; seal it (set BMC_SEAL_KEY and re-run `metalbus bmc set`)',
          );
        }
        return { ok: true, value: { ...rest, password: password.plain } };
      }
      const opened = openSecret(password, keyring);
      if (!opened.ok) {
        const hint =
          opened.error.code === 'seal-key-missing'
            ? ': set BMC_SEAL_KEY to the key it was sealed with'
            : opened.error.code === 'seal-key-unknown'
              ? ': add that key to BMC_SEAL_PREVIOUS_KEY'
              : '';
        return {
          ok: false,
          error: {
            code: 'credentials',
            message: `cannot open the BMC password of ${record.machineId} (${opened.error.code}): ${opened.error.message}${hint}`,
          },
        };
      }
      return { ok: true, value: { ...rest, password: opened.value } };
    },
  };
}

export type SealedSummary = { sealed: number; firstMachine: string | null; keyIds: string[] };

/** How many records carry sealed passwords, and under which key ids (for the start-up check). */
export function summariseSealed(records: Iterable<[string, BmcRecord]>): SealedSummary {
  let sealed = 0;
  let firstMachine: string | null = null;
  const keyIds = new Set<string>();
  for (const [machineId, r] of records) {
    if (r.password === null || 'plain' in r.password) continue;
    sealed++;
    firstMachine ??= machineId;
    keyIds.add(r.password.keyId);
  }
  return { sealed, firstMachine, keyIds: [...keyIds].sort() };
}
