/**
 * Turn the raw request target after a route prefix into safe path segments. Pure. Works on the raw (still
 * percent-encoded) URL so no router decoding or normalisation can hide a dot-segment from us.
 */
export type PathRefusal =
  | 'empty'
  | 'too-long'
  | 'bad-encoding'
  | 'dot-segment'
  | 'hidden'
  | 'backslash'
  | 'control-char'
  | 'encoded-slash'
  | 'directory';

export type PathResult = { ok: true; value: readonly string[] } | { ok: false; error: PathRefusal };

const MAX_PATH = 1024;
const MAX_SEGMENTS = 16;
/** C0 controls (NUL included) and DEL: iPXE and firmware never send them, attackers do. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export function splitAssetPath(raw: string): PathResult {
  const q = raw.search(/[?#]/);
  const path = q < 0 ? raw : raw.slice(0, q);
  if (path === '') return { ok: false, error: 'empty' };
  if (path.length > MAX_PATH) return { ok: false, error: 'too-long' };
  if (path.includes('\\')) return { ok: false, error: 'backslash' };
  const parts = path.split('/');
  if (parts.length > MAX_SEGMENTS) return { ok: false, error: 'too-long' };
  if (parts[parts.length - 1] === '') return { ok: false, error: 'directory' };
  const out: string[] = [];
  for (const part of parts) {
    if (part === '') return { ok: false, error: 'empty' }; // leading or doubled slash
    let seg: string;
    try {
      seg = decodeURIComponent(part);
    } catch {
      return { ok: false, error: 'bad-encoding' };
    }
    if (seg.includes('/')) return { ok: false, error: 'encoded-slash' };
    if (seg.includes('\\')) return { ok: false, error: 'backslash' };
    if (hasControl(seg)) return { ok: false, error: 'control-char' };
    if (seg === '.' || seg === '..') return { ok: false, error: 'dot-segment' };
    // Dot-files (.git, .htpasswd, editors' swap files) are never boot assets.
    if (seg.startsWith('.')) return { ok: false, error: 'hidden' };
    out.push(seg);
  }
  return { ok: true, value: out };
}
