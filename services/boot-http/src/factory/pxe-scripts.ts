import { request, type Dispatcher } from 'undici';
import { FactoryError, toFactoryError } from './errors.js';
import { SingleFlightMemo } from './single-flight.js';

export interface PxeScriptSource {
  /** The factory's iPXE script for one schematic/version/target, as the factory wrote it. */
  get(id: string, version: string, target: string): Promise<string>;
}

export interface PxeScriptSourceOptions {
  /** FACTORY_PXE_URL, no trailing slash. */
  readonly baseUrl: string;
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  readonly maxEntries?: number;
  readonly observe?: (result: 'cached' | 'joined' | 'fetched' | 'error') => void;
}

// Factory scripts are four lines plus a kernel command line; anything bigger is not a PXE script.
const MAX_SCRIPT_BYTES = 64 * 1024;

/**
 * GET <FACTORY_PXE_URL>/pxe/<id>/<version>/<target>, remembered in memory: for a given schematic and version the
 * script never changes (the schematic id is a hash of its content). Single-flight; failures are not remembered.
 */
export function createPxeScriptSource(opts: PxeScriptSourceOptions): PxeScriptSource {
  const memo = new SingleFlightMemo<string>(opts.maxEntries ?? 256);
  const observe = opts.observe ?? (() => undefined);

  async function fetchScript(path: string): Promise<string> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${opts.baseUrl}${path}`, {
        method: 'GET',
        dispatcher: opts.dispatcher,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (err) {
      throw toFactoryError(err, false);
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined);
      throw new FactoryError('upstream-status', `GET ${path}: HTTP ${res.statusCode}`, {
        upstreamStatus: res.statusCode,
      });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        const b = chunk as Buffer;
        size += b.length;
        if (size > MAX_SCRIPT_BYTES) {
          res.body.destroy();
          throw new FactoryError('upstream-bad-response', `GET ${path}: script larger than ${MAX_SCRIPT_BYTES} bytes`);
        }
        chunks.push(b);
      }
    } catch (err) {
      throw toFactoryError(err, true);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text.startsWith('#!ipxe')) {
      throw new FactoryError('upstream-bad-response', `GET ${path}: not an iPXE script`);
    }
    return text;
  }

  return {
    async get(id, version, target) {
      const path = `/pxe/${id}/${version}/${target}`;
      const { value, source } = memo.get(path, () => fetchScript(path));
      try {
        const text = await value;
        observe(source === 'memo' ? 'cached' : source === 'joined' ? 'joined' : 'fetched');
        return text;
      } catch (err) {
        observe('error');
        throw err;
      }
    },
  };
}
