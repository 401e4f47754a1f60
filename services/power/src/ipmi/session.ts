import {
  PRIVILEGE,
  decodeChannelAuthCapabilities,
  getChannelAuthCapabilities,
  setSessionPrivilege,
} from './app-commands.js';
import { type IpmiSession, type SessionParams, startActiveSession } from './active-session.js';
import { classifyCompletionCode } from './completion.js';
import { IpmiError } from './errors.js';
import {
  type RakpInputs,
  deriveSessionKeys,
  macEquals,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  sessionIntegrityKey,
} from './keys.js';
import { decodeLanResponse, encodeLanRequest } from './lan-message.js';
import {
  RMCP_STATUS,
  ROLE_NAME_ONLY_LOOKUP,
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
} from './rakp.js';
import { openSessionFailure } from './session-errors.js';
import { PAYLOAD_TYPE, decodeSessionPacket, encodeV15Packet, encodeV2Packet } from './session-packet.js';
import { peerKey } from './transport.js';

export type { IpmiSession, SessionParams } from './active-session.js';

/**
 * RMCP+ session establishment with one BMC (IPMI v2.0 section 13.15): Get Channel Authentication Capabilities,
 * Open Session, RAKP 1–4, then Set Session Privilege Level inside the new session. Retransmission and routing are
 * the transport's; this module decides what to send, which answer belongs to it, and whether the BMC proved it
 * knows the password before anything of ours depends on it.
 */
export async function openSession(params: SessionParams, signal: AbortSignal): Promise<IpmiSession> {
  const { peer, transport, suite } = params;
  const target = peerKey(peer);
  const exchange = <T>(what: string, datagram: Buffer, accept: (d: Buffer) => T | undefined): Promise<T> =>
    transport.exchange(peer, {
      what,
      build: () => datagram,
      accept,
      attempts: params.attempts,
      attemptMs: params.attemptMs,
      signal,
    });

  // 1. Get Channel Authentication Capabilities, session-less in v1.5 framing (what ipmitool's lanplus sends).
  const capsRequest = getChannelAuthCapabilities(params.privilege);
  const caps = await exchange(
    'Get Channel Authentication Capabilities',
    encodeV15Packet(encodeLanRequest(capsRequest, 0)),
    (d) => {
      const packet = decodeSessionPacket(d);
      if (!packet.ok || packet.value.kind !== 'v15') return undefined;
      const response = decodeLanResponse(packet.value.message);
      if (!response.ok || response.value.cmd !== capsRequest.cmd || response.value.netFn !== capsRequest.netFn + 1)
        return undefined;
      return response.value;
    },
  );
  if (caps.completionCode !== 0) {
    const failure = classifyCompletionCode(caps.completionCode);
    throw new IpmiError(failure.code, `Get Channel Authentication Capabilities from ${target}: ${failure.text}`);
  }
  const decodedCaps = decodeChannelAuthCapabilities(caps.data);
  if (!decodedCaps.ok) throw new IpmiError('protocol', `${target}: ${decodedCaps.error}`);
  if (!decodedCaps.value.supportsIpmiV20)
    throw new IpmiError('unsupported', `${target} does not offer IPMI v2.0 / RMCP+ sessions`);

  // 2. Open Session: propose exactly the configured suite's algorithms.
  const consoleSessionId = nonZeroU32(params.randomBytes);
  const tag = (params.randomBytes(1)[0] ?? 0) & 0x3f;
  const open = await exchange(
    'Open Session Response',
    v2Plain(PAYLOAD_TYPE.openSessionRequest, encodeOpenSessionRequest(tag, 0, consoleSessionId, suite)),
    (d) => {
      const payload = plainPayload(d, PAYLOAD_TYPE.openSessionResponse);
      const r = payload && decodeOpenSessionResponse(payload);
      if (!r || !r.ok || r.value.tag !== tag) return undefined;
      return r.value.consoleSessionId === consoleSessionId || r.value.status !== RMCP_STATUS.ok ? r.value : undefined;
    },
  );
  if (open.status !== RMCP_STATUS.ok) throw openSessionFailure(target, 'Open Session', open.status, suite);
  if (
    open.authAlgorithm !== suite.authAlgorithm ||
    open.integrityAlgorithm !== suite.integrityAlgorithm ||
    open.confidentialityAlgorithm !== suite.confidentialityAlgorithm
  ) {
    throw new IpmiError(
      'protocol',
      `${target} answered Open Session with other algorithms than cipher suite ${suite.id} proposed`,
    );
  }
  const bmcSessionId = open.bmcSessionId;

  // 3. RAKP 1 → RAKP 2: prove the BMC knows the password (Kuid) before we prove we do.
  const consoleRandom = params.randomBytes(16);
  const role = params.privilege | ROLE_NAME_ONLY_LOOKUP;
  const rakp2 = await exchange(
    'RAKP 2',
    v2Plain(PAYLOAD_TYPE.rakp1, encodeRakp1(tag, bmcSessionId, consoleRandom, role, params.username)),
    (d) => {
      const payload = plainPayload(d, PAYLOAD_TYPE.rakp2);
      const r = payload && decodeRakp2(payload, suite);
      if (!r || !r.ok || r.value.tag !== tag) return undefined;
      return r.value.consoleSessionId === consoleSessionId || r.value.status !== RMCP_STATUS.ok ? r.value : undefined;
    },
  );
  if (rakp2.status !== RMCP_STATUS.ok) throw openSessionFailure(target, 'RAKP 2', rakp2.status, suite);
  const inputs: RakpInputs = {
    consoleSessionId,
    bmcSessionId,
    consoleRandom,
    bmcRandom: rakp2.bmcRandom,
    bmcGuid: rakp2.bmcGuid,
    role,
    username: params.username,
  };
  if (!macEquals(rakp2AuthCode(suite, params.kuid, inputs), rakp2.authCode)) {
    // Tell the BMC to drop the half-open session (section 13.22) so it does not hold a slot until it times out.
    transport.send(
      peer,
      v2Plain(
        PAYLOAD_TYPE.rakp3,
        encodeRakp3(tag, RMCP_STATUS.invalidIntegrityCheckValue, bmcSessionId, Buffer.alloc(0)),
      ),
    );
    throw new IpmiError(
      'auth-failed',
      `${target} rejected the credentials: RAKP 2 auth code mismatch (wrong password for this user)`,
    );
  }

  // 4. RAKP 3 → RAKP 4: our proof; the BMC's answer is checked with the new Session Integrity Key.
  const sik = sessionIntegrityKey(suite, params.kuid, inputs);
  const rakp4 = await exchange(
    'RAKP 4',
    v2Plain(
      PAYLOAD_TYPE.rakp3,
      encodeRakp3(tag, RMCP_STATUS.ok, bmcSessionId, rakp3AuthCode(suite, params.kuid, inputs)),
    ),
    (d) => {
      const payload = plainPayload(d, PAYLOAD_TYPE.rakp4);
      const r = payload && decodeRakp4(payload, suite);
      if (!r || !r.ok || r.value.tag !== tag) return undefined;
      return r.value.consoleSessionId === consoleSessionId || r.value.status !== RMCP_STATUS.ok ? r.value : undefined;
    },
  );
  if (rakp4.status !== RMCP_STATUS.ok) throw openSessionFailure(target, 'RAKP 4', rakp4.status, suite);
  if (!macEquals(rakp4Icv(suite, sik, inputs), rakp4.icv)) {
    throw new IpmiError('auth-failed', `${target}: RAKP 4 integrity check value mismatch (BMC key K_G differs?)`);
  }
  const keys = deriveSessionKeys(suite, sik);
  const session = startActiveSession(
    params,
    { suite, k1: keys.k1, aesKey: keys.aesKey },
    consoleSessionId,
    bmcSessionId,
  );

  // 5. Sessions start at User level (section 13.15); raise to the configured level.
  const priv = await session.command(setSessionPrivilege(params.privilege), 'Set Session Privilege Level', signal);
  if (priv.completionCode !== 0) {
    await session.close();
    const level = Object.entries(PRIVILEGE).find(([, v]) => v === params.privilege)?.[0] ?? String(params.privilege);
    throw new IpmiError(
      'auth-failed',
      `${target} refused privilege level ${level} for this user (completion code 0x${priv.completionCode.toString(16)})`,
    );
  }
  params.logger?.debug({ bmc: target, suite: suite.id, bmcSessionId }, 'ipmi: session established');
  return session;
}

function v2Plain(payloadType: number, payload: Buffer): Buffer {
  return encodeV2Packet({ payloadType, sessionId: 0, sequence: 0, payload });
}

function plainPayload(datagram: Buffer, payloadType: number): Buffer | undefined {
  const packet = decodeSessionPacket(datagram);
  if (!packet.ok || packet.value.kind !== 'v2' || packet.value.payloadType !== payloadType) return undefined;
  return packet.value.payload;
}

function nonZeroU32(randomBytes: (n: number) => Buffer): number {
  const n = randomBytes(4).readUInt32LE(0);
  return n === 0 ? 1 : n;
}
