import { closeSession } from './app-commands.js';
import {
  type IpmiRequest,
  type IpmiResponse,
  RQ_SEQ_MASK,
  decodeLanResponse,
  encodeLanRequest,
} from './lan-message.js';
import { PAYLOAD_TYPE, type SessionSecurity, decodeSessionPacket, encodeV2Packet } from './session-packet.js';
import type { Logger } from 'pino';
import type { CipherSuite } from './cipher-suites.js';
import type { IpmiTransport, Peer } from './transport.js';

/**
 * An established RMCP+ session (IPMI v2.0 section 13.28): every command encrypted (AES-CBC-128) and authenticated
 * (HMAC-SHA1-96 or HMAC-SHA256-128), session sequence numbers counted up, answers matched by rqSeq, NetFn and
 * command, one command in flight at a time.
 */
export interface SessionParams {
  readonly peer: Peer;
  readonly transport: IpmiTransport;
  readonly suite: CipherSuite;
  readonly username: Buffer;
  /** Kuid (20-byte zero-padded password); never logged, never put in a message. */
  readonly kuid: Buffer;
  readonly privilege: number;
  readonly attempts: number;
  readonly attemptMs: number;
  readonly randomBytes: (n: number) => Buffer;
  readonly now: () => number;
  readonly logger?: Logger;
}

/** How a command may be repeated when its answer does not come. */
export interface CommandOptions {
  /**
   * A command that must not take effect twice (Chassis Control power cycle / hard reset): sent in one datagram,
   * never retransmitted, and its answer awaited for as long as all the retransmissions would have taken. A
   * retransmission carries a new session sequence number, so a BMC that got the first one but whose answer was
   * lost would take it as a new request.
   */
  readonly atMostOnce?: boolean;
}

export interface IpmiSession {
  readonly bmcSessionId: number;
  readonly suite: CipherSuite;
  /** When the last answer arrived (params.now() clock). */
  readonly lastActivity: number;
  /** Sends one command and returns the BMC's response, whatever its completion code. */
  command(request: IpmiRequest, what: string, signal: AbortSignal, options?: CommandOptions): Promise<IpmiResponse>;
  /** Close Session, best effort and bounded; never throws. */
  close(): Promise<void>;
}

export function startActiveSession(
  params: SessionParams,
  security: SessionSecurity,
  consoleSessionId: number,
  bmcSessionId: number,
): IpmiSession & { lastActivity: number } {
  const { peer, transport } = params;
  let outSequence = 0;
  let rqSeq = 0;
  let highestInbound = 0;
  let queue: Promise<unknown> = Promise.resolve();

  function nextSequence(): number {
    // Session sequence numbers start at 1 and never repeat within a session (section 13.28.1); 0 is not used.
    outSequence = outSequence >= 0xffffffff ? 1 : outSequence + 1;
    return outSequence;
  }

  async function send(
    request: IpmiRequest,
    what: string,
    signal: AbortSignal,
    attempts: number,
    attemptMs: number,
  ): Promise<IpmiResponse> {
    rqSeq = (rqSeq + 1) & RQ_SEQ_MASK;
    const seq = rqSeq;
    const message = encodeLanRequest(request, seq);
    const response = await transport.exchange(peer, {
      what: `${what} response`,
      attempts,
      attemptMs,
      signal,
      // Each retransmission gets a fresh session sequence number: BMCs drop repeated ones as replays.
      build: () =>
        encodeV2Packet({
          payloadType: PAYLOAD_TYPE.ipmi,
          sessionId: bmcSessionId,
          sequence: nextSequence(),
          payload: message,
          protection: { security, iv: params.randomBytes(16) },
        }),
      accept: (d) => {
        const packet = decodeSessionPacket(d, security);
        if (!packet.ok || packet.value.kind !== 'v2') return undefined;
        const p = packet.value;
        if (p.payloadType !== PAYLOAD_TYPE.ipmi || !p.authenticated || !p.encrypted || p.sessionId !== consoleSessionId)
          return undefined;
        // Replay window: drop sequence 0 and anything 16 or more below the highest seen (section 13.28.1).
        if (p.sequence === 0 || (highestInbound > 16 && p.sequence <= highestInbound - 16)) return undefined;
        const r = decodeLanResponse(p.payload);
        if (!r.ok || r.value.rqSeq !== seq || r.value.cmd !== request.cmd || r.value.netFn !== request.netFn + 1)
          return undefined;
        if (p.sequence > highestInbound) highestInbound = p.sequence;
        return r.value;
      },
    });
    state.lastActivity = params.now();
    return response;
  }

  const state = {
    bmcSessionId,
    suite: security.suite,
    lastActivity: params.now(),
    command(request: IpmiRequest, what: string, signal: AbortSignal, options?: CommandOptions): Promise<IpmiResponse> {
      // One request in flight per session: BMCs are small and some freeze under bursts (omni#785).
      const [attempts, attemptMs] = options?.atMostOnce
        ? [1, params.attemptMs * params.attempts]
        : [params.attempts, params.attemptMs];
      const run = queue.then(() => send(request, what, signal, attempts, attemptMs));
      queue = run.catch(() => undefined);
      return run;
    },
    async close(): Promise<void> {
      const signal = AbortSignal.timeout(params.attemptMs * 2);
      try {
        await queue;
        await send(closeSession(bmcSessionId), 'Close Session', signal, 2, params.attemptMs);
      } catch {
        // The BMC times the session out on its own; nothing else to do.
      }
    },
  };
  return state;
}
