// Option negotiation for a read request (RFC 2347 §"Negotiation Protocol"): the server answers each option it
// accepts in an OACK, possibly with a smaller value, and leaves out the ones it ignores. No accepted option means
// no OACK: the transfer starts with DATA block 1 as in plain RFC 1350.
import type { OptionPair, RequestOption } from './codec.js';

export type NegotiationLimits = {
  /** Largest DATA payload the server agrees to (RFC 2348 allows 8..65464). */
  readonly maxBlksize: number;
  /** Largest window the server agrees to (RFC 7440 allows 1..65535). */
  readonly maxWindowsize: number;
  /** Retransmission timeout when the client does not ask for one (RFC 2349 `timeout`). */
  readonly defaultTimeoutMs: number;
  /** Largest `timeout` a client may set, in seconds; a larger one is declined (left out of the OACK). */
  readonly maxClientTimeoutS: number;
};

export type Negotiated = {
  readonly blksize: number;
  readonly windowsize: number;
  readonly timeoutMs: number;
  /** The OACK to send first, in request order; empty when no option was accepted. */
  readonly oack: readonly OptionPair[];
};

/** RFC 1350's fixed block size when blksize is not negotiated. */
export const DEFAULT_BLKSIZE = 512;

export function negotiate(options: readonly RequestOption[], size: number, limits: NegotiationLimits): Negotiated {
  let blksize = DEFAULT_BLKSIZE;
  let windowsize = 1;
  let timeoutMs = limits.defaultTimeoutMs;
  const oack: OptionPair[] = [];
  for (const option of options) {
    switch (option.name) {
      case 'blksize': // RFC 2348: the server may answer with a smaller value, never a larger one
        blksize = Math.min(option.value, limits.maxBlksize);
        oack.push(['blksize', String(blksize)]);
        break;
      case 'windowsize': // RFC 7440 §3: same rule as blksize
        windowsize = Math.min(option.value, limits.maxWindowsize);
        oack.push(['windowsize', String(windowsize)]);
        break;
      case 'timeout':
        // RFC 2349 §"Timeout Interval Option": an accepted value must be echoed unchanged, so a server cannot
        // answer with a smaller one; above the cap the option is declined (RFC 2347: omitted from the OACK) and
        // our own timeout applies. Otherwise a spoofed request asking for 255 s would hold a transfer slot for
        // (retries + 1) × 255 s.
        if (option.value > limits.maxClientTimeoutS) break;
        timeoutMs = option.value * 1000;
        oack.push(['timeout', String(option.value)]);
        break;
      case 'tsize': // RFC 2349 §"Transfer Size Option": a read request carries 0, the OACK the real size
        oack.push(['tsize', String(size)]);
        break;
    }
  }
  return { blksize, windowsize, timeoutMs, oack };
}
