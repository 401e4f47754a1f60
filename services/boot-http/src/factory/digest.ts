/**
 * The SHA-256 an upstream announces for its body, when it does: RFC 9530 `Repr-Digest` / `Content-Digest`
 * (`sha-256=:<base64>:`, a structured-field dictionary), the older RFC 3230 `Digest: SHA-256=<base64>`, or S3's
 * `x-amz-checksum-sha256` (factory image GETs redirect to object storage). Pure; returns lower-case hex or null.
 */
export function announcedSha256(headers: Readonly<Record<string, string | string[] | undefined>>): string | null {
  const get = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  for (const name of ['repr-digest', 'content-digest']) {
    const v = get(name);
    if (v === undefined) continue;
    const m = /(?:^|,)\s*sha-256\s*=\s*:([A-Za-z0-9+/=]+):/i.exec(v);
    if (m?.[1] !== undefined) return base64ToHex(m[1]);
  }
  const legacy = get('digest');
  if (legacy !== undefined) {
    const m = /(?:^|,)\s*sha-256\s*=\s*([A-Za-z0-9+/=]+)/i.exec(legacy);
    if (m?.[1] !== undefined) return base64ToHex(m[1]);
  }
  const amz = get('x-amz-checksum-sha256');
  if (amz !== undefined && /^[A-Za-z0-9+/=]+$/.test(amz.trim())) return base64ToHex(amz.trim());
  return null;
}

function base64ToHex(b64: string): string | null {
  const buf = Buffer.from(b64, 'base64');
  return buf.length === 32 ? buf.toString('hex') : null;
}
