import { ScriptError } from './errors.js';

// The base URL written into scripts: the configured advertise URL, else the URL the request came in on. The Host
// header is client input that ends up in an iPXE script, so only a plain host[:port] is accepted.

const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

export function baseUrlOf(request: { protocol: string; host: string }, advertiseUrl: string | null): string {
  if (advertiseUrl !== null) return advertiseUrl;
  if (!HOST_RE.test(request.host)) {
    throw new ScriptError('bad-request', `unusable Host header ${JSON.stringify(request.host)}; set ADVERTISE_URL`);
  }
  return `${request.protocol === 'https' ? 'https' : 'http'}://${request.host}`;
}
