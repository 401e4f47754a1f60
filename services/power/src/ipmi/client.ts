import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { PRIVILEGE, type PrivilegeName } from './app-commands.js';
import { CIPHER_SUITES, type CipherSuiteId } from './cipher-suites.js';
import { type CompletionFailure, classifyCompletionCode } from './completion.js';
import { IpmiError, type IpmiErrorCode, isIpmiError } from './errors.js';
import { userKey } from './keys.js';
import type { IpmiRequest, IpmiResponse } from './lan-message.js';
import { ipmiMetrics } from './metrics.js';
import { SUITE_REJECTED, SessionSetupError } from './session-errors.js';
import type { CommandOptions } from './active-session.js';
import { type IpmiSession, openSession } from './session.js';
import { type IpmiTransport, type Peer, peerKey } from './transport.js';

/**
 * An IPMI v2.0 client for one BMC: keeps one RMCP+ session and reuses it across commands while it is alive,
 * re-opening it after the idle limit or when the BMC stops answering in it. Operations run one at a time.
 * A command that got no answer in a reused session is sent again in a fresh one, unless it is `atMostOnce`: then
 * the caller gets the `unanswered` error and decides (the BMC may have executed it; only the answer is missing).
 */
export interface IpmiClientOptions {
  /** IP address or host name (resolved at each session set-up). */
  readonly address: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** A fixed cipher suite, or null to try 17 then 3 (the first accepted is kept for the client's life). */
  readonly cipherSuite: CipherSuiteId | null;
  readonly privilege: Extract<PrivilegeName, 'administrator' | 'operator'>;
  /** Wait per datagram before retransmitting. */
  readonly attemptMs: number;
  /** Datagrams sent per request, first one included. */
  readonly attempts: number;
  /** A session idle this long is replaced rather than reused (BMCs drop idle sessions, often after 60 s). */
  readonly sessionIdleMs: number;
}

export interface IpmiClientDeps {
  readonly transport: IpmiTransport;
  readonly logger?: Logger;
  readonly registry?: Registry;
  readonly randomBytes?: (n: number) => Buffer;
  readonly now?: () => number;
}

export interface IpmiClient {
  readonly target: string;
  /** Sends a command in the session and returns the response, whatever its completion code. */
  call(request: IpmiRequest, what: string, signal: AbortSignal, options?: CommandOptions): Promise<IpmiResponse>;
  /** Like call, but a non-zero completion code becomes a classified IpmiError; returns the response data. */
  expect(
    request: IpmiRequest,
    what: string,
    signal: AbortSignal,
    commandSpecific?: Readonly<Record<number, readonly [IpmiErrorCode, string]>>,
    options?: CommandOptions,
  ): Promise<Buffer>;
  close(): Promise<void>;
}

export function createIpmiClient(options: IpmiClientOptions, deps: IpmiClientDeps): IpmiClient {
  const target = peerKey({ address: options.address, port: options.port });
  const kuid = userKey(options.password);
  const username = Buffer.from(options.username, 'utf8');
  const metrics = ipmiMetrics(deps.registry);
  const randomBytes = deps.randomBytes ?? cryptoRandomBytes;
  const now = deps.now ?? (() => performance.now());
  let suites: CipherSuiteId[] = options.cipherSuite === null ? [17, 3] : [options.cipherSuite];
  let session: IpmiSession | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function resolvePeer(): Promise<Peer> {
    if (isIP(options.address) !== 0) return { address: options.address, port: options.port };
    try {
      return { address: (await lookup(options.address)).address, port: options.port };
    } catch (err) {
      throw new IpmiError('unreachable', `cannot resolve BMC host ${options.address}`, { cause: err });
    }
  }

  async function open(signal: AbortSignal): Promise<IpmiSession> {
    if (!kuid)
      throw new IpmiError('auth-failed', `the password for ${target} is longer than 20 bytes (IPMI v2.0 limit)`);
    if (username.length > 16) throw new IpmiError('auth-failed', `the user name for ${target} is longer than 16 bytes`);
    const peer = await resolvePeer();
    for (let i = 0; ; i++) {
      const suite = CIPHER_SUITES[suites[i] ?? 3];
      try {
        const s = await openSession(
          {
            peer,
            transport: deps.transport,
            suite,
            username,
            kuid,
            privilege: PRIVILEGE[options.privilege],
            attempts: options.attempts,
            attemptMs: options.attemptMs,
            randomBytes,
            now,
            ...(deps.logger ? { logger: deps.logger } : {}),
          },
          signal,
        );
        suites = [suite.id]; // auto mode: remember what this BMC accepted
        metrics.sessions.inc({ result: 'ok' });
        return s;
      } catch (err) {
        const fallback =
          err instanceof SessionSetupError && SUITE_REJECTED.has(err.rmcpStatus) && i + 1 < suites.length;
        if (fallback) {
          deps.logger?.debug({ bmc: target, suite: suite.id }, 'ipmi: cipher suite refused, trying the next one');
          continue;
        }
        metrics.sessions.inc({ result: isIpmiError(err) ? err.code : 'error' });
        throw err;
      }
    }
  }

  function drop(): void {
    const old = session;
    session = undefined;
    if (old) void old.close();
  }

  /** A session for the command; a set-up failure means the command itself was never sent. */
  async function sessionFor(signal: AbortSignal): Promise<IpmiSession> {
    try {
      session ??= await open(signal);
      return session;
    } catch (err) {
      if (!isIpmiError(err) || !err.unanswered) throw err;
      throw new IpmiError(err.code, err.message, { cause: err, unanswered: false });
    }
  }

  async function run(
    request: IpmiRequest,
    what: string,
    signal: AbortSignal,
    commandOptions: CommandOptions,
  ): Promise<IpmiResponse> {
    if (closed) throw new IpmiError('unreachable', `IPMI client for ${target} is closed`);
    if (session && now() - session.lastActivity > options.sessionIdleMs) drop();
    const reused = session !== undefined;
    const current = await sessionFor(signal);
    try {
      return await current.command(request, what, signal, commandOptions);
    } catch (err) {
      // No answer inside the session: its state is unknown (the BMC may have dropped it), so never reuse it.
      if (isIpmiError(err) && (err.code === 'unreachable' || err.code === 'timeout')) drop();
      if (!reused || signal.aborted || !isIpmiError(err) || err.code !== 'unreachable') throw err;
      // The BMC may have executed it and lost only the answer: sending it again could do it twice.
      if (commandOptions.atMostOnce === true) throw err;
      // A reused session that the BMC ignores entirely was most likely timed out by the BMC: open anew once.
      deps.logger?.debug({ bmc: target }, 'ipmi: no answer in a reused session, re-opening it');
      return await (await sessionFor(signal)).command(request, what, signal, commandOptions);
    }
  }

  function call(
    request: IpmiRequest,
    what: string,
    signal: AbortSignal,
    commandOptions: CommandOptions = {},
  ): Promise<IpmiResponse> {
    const result = queue.then(() => run(request, what, signal, commandOptions));
    queue = result.catch(() => undefined);
    return result.then(
      (response) => {
        metrics.commands.inc({
          command: what,
          result: response.completionCode === 0 ? 'ok' : `cc-0x${response.completionCode.toString(16)}`,
        });
        return response;
      },
      (err: unknown) => {
        metrics.commands.inc({ command: what, result: isIpmiError(err) ? err.code : 'error' });
        throw err;
      },
    );
  }

  return {
    target,
    call,
    async expect(request, what, signal, commandSpecific, commandOptions) {
      const response = await call(request, what, signal, commandOptions);
      if (response.completionCode === 0) return response.data;
      const failure: CompletionFailure = classifyCompletionCode(response.completionCode, commandSpecific);
      throw new IpmiError(failure.code, `${what} on ${target}: ${failure.text}`);
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      const s = session;
      session = undefined;
      await s?.close();
    },
  };
}
