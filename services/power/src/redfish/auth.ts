import { BmcError } from '../drivers/driver.js';
import { classifyFailure } from './classify.js';
import type { Redactor } from './redact.js';
import { parseLoose } from './schemas.js';
import type { Transport } from './transport.js';

/** How requests prove who we are. Basic sends the password each time; session trades it once for a token. */
export interface Authenticator {
  /** Headers for the next request (a session is created on first use). */
  headers(operation: string, signal: AbortSignal): Promise<Record<string, string>>;
  /**
   * The BMC answered 401 to a request sent with `used`. True when a retry with new credentials makes sense
   * (the session expired or was dropped by the BMC); the stale session is forgotten.
   */
  rejected(used: Record<string, string>): boolean;
  /** Log out (DELETE the session). Never throws. */
  close(signal: AbortSignal): Promise<void>;
}

export interface Credentials {
  username: string;
  password: string;
}

export function createBasicAuth(credentials: Credentials, redactor: Redactor): Authenticator {
  const encoded = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
  redactor.add(credentials.password);
  redactor.add(encoded);
  const headers = { authorization: `Basic ${encoded}` };
  return {
    headers: async () => headers,
    rejected: () => false,
    close: async () => undefined,
  };
}

export interface SessionAuthOptions {
  transport: Transport;
  credentials: Credentials;
  redactor: Redactor;
  /** The SessionService `Sessions` collection path (from the service root's `Links.Sessions`). */
  sessionsPath: () => string;
  /** Told when a session could not be deleted (the BMC will expire it). */
  onLogoutFailed?: (detail: string) => void;
}

interface Session {
  token: string;
  /** Path of the session resource, for DELETE; null if the BMC gave neither Location nor @odata.id. */
  path: string | null;
}

/**
 * Redfish session login (DSP0266, "Redfish session login authentication"): POST `{UserName, Password}` to the
 * Sessions collection; the answer carries `X-Auth-Token` and `Location` of the new session. The token is sent
 * as `X-Auth-Token` on every request and the session is DELETEd at close.
 */
export function createSessionAuth(options: SessionAuthOptions): Authenticator {
  const { transport, credentials, redactor } = options;
  redactor.add(credentials.password);
  let session: Session | null = null;
  let creating: Promise<Session> | null = null;

  async function login(operation: string, signal: AbortSignal): Promise<Session> {
    const response = await transport.send({
      method: 'POST',
      path: options.sessionsPath(),
      headers: { 'content-type': 'application/json', accept: 'application/json', 'odata-version': '4.0' },
      body: JSON.stringify({ UserName: credentials.username, Password: credentials.password }),
      signal,
      operation,
    });
    if (response.status < 200 || response.status > 299) {
      const failure = classifyFailure(response.status, parseLoose(response.text));
      const detail =
        failure.code === 'auth-failed' ? 'session login rejected (check username and password)' : failure.detail;
      throw new BmcError(failure.code, transport.target, operation, redactor.redact(`creating a session: ${detail}`));
    }
    const token = response.headers['x-auth-token'];
    if (token === undefined || token === '') {
      throw new BmcError('protocol', transport.target, operation, 'session created without an X-Auth-Token header');
    }
    redactor.add(token);
    return { token, path: sessionPath(response.headers['location'], response.text) };
  }

  return {
    async headers(operation, signal) {
      if (session === null) {
        // Single flight: concurrent first calls share one login instead of opening several sessions.
        creating ??= login(operation, signal).finally(() => {
          creating = null;
        });
        session = await creating;
      }
      return { 'x-auth-token': session.token };
    },
    rejected(used) {
      if (session !== null && used['x-auth-token'] === session.token) session = null;
      return used['x-auth-token'] !== undefined;
    },
    async close(signal) {
      // A login still in flight would otherwise open a session nobody deletes.
      if (creating !== null) session = await creating.catch(() => session);
      const current = session;
      session = null;
      if (current === null) return;
      if (current.path === null) {
        options.onLogoutFailed?.('the BMC did not say where the session lives');
        return;
      }
      try {
        const response = await transport.send({
          method: 'DELETE',
          path: current.path,
          headers: { 'x-auth-token': current.token, 'odata-version': '4.0' },
          signal,
          operation: 'close',
        });
        if (response.status >= 300 && response.status !== 404) options.onLogoutFailed?.(`HTTP ${response.status}`);
      } catch (error) {
        options.onLogoutFailed?.(error instanceof BmcError ? error.code : 'failed');
      }
    },
  };
}

/** Location may be absolute (`https://bmc/redfish/v1/…`) or a path; fall back to the body's `@odata.id`. */
function sessionPath(location: string | undefined, body: string): string | null {
  if (location !== undefined && location !== '') {
    try {
      const url = new URL(location, 'https://placeholder.invalid');
      return `${url.pathname}${url.search}`;
    } catch {
      // fall through to the body
    }
  }
  const parsed = parseLoose(body);
  if (typeof parsed === 'object' && parsed !== null) {
    const id = (parsed as Record<string, unknown>)['@odata.id'];
    if (typeof id === 'string' && id.startsWith('/')) return id;
  }
  return null;
}
