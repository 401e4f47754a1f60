import type { IpmiErrorCode } from './errors.js';

/**
 * Completion codes (IPMI v2.0 section 5.2, table 5-2) and how a failed command is classified.
 * 0x80–0xBE are command-specific; the few this client meets are passed in by the caller.
 */
const GENERIC: Readonly<Record<number, readonly [IpmiErrorCode, string]>> = {
  0xc0: ['bmc-busy', 'node busy'],
  0xc1: ['unsupported', 'invalid command'],
  0xc2: ['unsupported', 'command invalid for given LUN'],
  0xc3: ['bmc-busy', 'timeout while processing command'],
  0xc4: ['bmc-busy', 'out of space'],
  0xc5: ['protocol', 'reservation canceled or invalid'],
  0xc6: ['protocol', 'request data truncated'],
  0xc7: ['protocol', 'request data length invalid'],
  0xc8: ['protocol', 'request data field length limit exceeded'],
  0xc9: ['protocol', 'parameter out of range'],
  0xca: ['protocol', 'cannot return number of requested data bytes'],
  0xcb: ['unsupported', 'requested sensor, data, or record not present'],
  0xcc: ['protocol', 'invalid data field in request'],
  0xcd: ['unsupported', 'command illegal for specified sensor or record type'],
  0xce: ['bmc-busy', 'command response could not be provided'],
  0xcf: ['protocol', 'cannot execute duplicated request'],
  0xd0: ['bmc-busy', 'SDR repository in update mode'],
  0xd1: ['bmc-busy', 'device in firmware update mode'],
  0xd2: ['bmc-busy', 'BMC initialization in progress'],
  0xd3: ['unreachable', 'destination unavailable'],
  0xd4: ['auth-failed', 'insufficient privilege level'],
  // "Not supported in present state": BMCs answer this while a power transition is running (sidero#145), so it
  // is classified transient and the command consumer retries it with back-off.
  0xd5: ['bmc-busy', 'command not supported in present state'],
  0xd6: ['unsupported', 'parameter is illegal because a sub-function is disabled'],
  0xff: ['protocol', 'unspecified error'],
};

export interface CompletionFailure {
  readonly code: IpmiErrorCode;
  readonly text: string;
}

export function classifyCompletionCode(
  completionCode: number,
  commandSpecific: Readonly<Record<number, readonly [IpmiErrorCode, string]>> = {},
): CompletionFailure {
  const hit = commandSpecific[completionCode] ?? GENERIC[completionCode];
  const cc = `0x${completionCode.toString(16).padStart(2, '0')}`;
  if (hit) return { code: hit[0], text: `completion code ${cc} (${hit[1]})` };
  return { code: 'protocol', text: `completion code ${cc}` };
}
