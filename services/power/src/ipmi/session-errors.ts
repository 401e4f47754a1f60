import type { CipherSuite } from './cipher-suites.js';
import { IpmiError, type IpmiErrorCode } from './errors.js';
import { RMCP_STATUS, rmcpStatusText } from './rakp.js';

const S = RMCP_STATUS;

/** How a non-zero RMCP+ status during session set-up is classified (section 13.24, table 13-15). */
const CLASS: Readonly<Record<number, IpmiErrorCode>> = {
  [S.insufficientResources]: 'bmc-busy',
  [S.insufficientResourcesForRole]: 'bmc-busy',
  [S.invalidAuthAlgorithm]: 'unsupported',
  [S.invalidIntegrityAlgorithm]: 'unsupported',
  [S.noMatchingAuthPayload]: 'unsupported',
  [S.noMatchingIntegrityPayload]: 'unsupported',
  [S.invalidConfidentialityAlgorithm]: 'unsupported',
  [S.noCipherSuiteMatch]: 'unsupported',
  [S.invalidRole]: 'auth-failed',
  [S.unauthorizedRole]: 'auth-failed',
  [S.invalidNameLength]: 'auth-failed',
  [S.unauthorizedName]: 'auth-failed',
  [S.unauthorizedGuid]: 'auth-failed',
  [S.invalidIntegrityCheckValue]: 'auth-failed',
};

/** Statuses meaning "this BMC does not do the proposed cipher suite": auto mode falls back to another suite. */
export const SUITE_REJECTED: ReadonlySet<number> = new Set([
  S.invalidAuthAlgorithm,
  S.invalidIntegrityAlgorithm,
  S.noMatchingAuthPayload,
  S.noMatchingIntegrityPayload,
  S.invalidConfidentialityAlgorithm,
  S.noCipherSuiteMatch,
]);

export class SessionSetupError extends IpmiError {
  readonly rmcpStatus: number;

  constructor(code: IpmiErrorCode, message: string, rmcpStatus: number) {
    super(code, message);
    this.rmcpStatus = rmcpStatus;
  }
}

export function openSessionFailure(
  target: string,
  step: string,
  status: number,
  suite: CipherSuite,
): SessionSetupError {
  const code = CLASS[status] ?? 'protocol';
  const hint = SUITE_REJECTED.has(status) ? ` (cipher suite ${suite.id} not accepted)` : '';
  return new SessionSetupError(
    code,
    `${target} refused the session at ${step}: ${rmcpStatusText(status)}${hint}`,
    status,
  );
}
