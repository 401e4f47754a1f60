import { createHash } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { stringify } from 'yaml';
import { z } from 'zod';
import { FactoryError, toFactoryError } from './errors.js';
import { SingleFlightMemo } from './single-flight.js';

export interface SchematicRequest {
  readonly extraKernelArgs: readonly string[];
  readonly officialExtensions: readonly string[];
}

/** The port the script side consumes: the factory's schematic id for this customization. */
export interface SchematicPort {
  ensureSchematic(s: { extraKernelArgs: string[]; officialExtensions: string[] }): Promise<string>;
}

/**
 * The schematic document (omni-bare-metal-provider.md 4.3 step 1). Argument order is kept as given: kernel
 * argument order is meaningful, and the factory derives the id from the document it receives.
 */
export function renderSchematic(s: SchematicRequest): string {
  return stringify({
    customization: {
      extraKernelArgs: [...s.extraKernelArgs],
      systemExtensions: { officialExtensions: [...s.officialExtensions] },
    },
  });
}

export function schematicContentKey(yamlBody: string): string {
  return createHash('sha256').update(yamlBody).digest('hex');
}

const responseSchema = z.object({ id: z.string().regex(/^[0-9a-f]{64}$/) });

export interface SchematicClientOptions {
  /** FACTORY_URL, no trailing slash. */
  readonly baseUrl: string;
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  /** Distinct schematics remembered (each is one line of kernel args + extensions; few in practice). */
  readonly maxEntries?: number;
  /** Called once per call with how it was answered, for metrics. */
  readonly observe?: (result: 'cached' | 'joined' | 'created' | 'error') => void;
}

/**
 * POST /schematics (Content-Type application/yaml → JSON `{id}`), 10 s timeout by default. Ids are remembered by
 * the hash of the YAML body, and concurrent identical calls share one POST. Failures are not remembered.
 */
export function createSchematicClient(opts: SchematicClientOptions): SchematicPort {
  const memo = new SingleFlightMemo<string>(opts.maxEntries ?? 1024);
  const observe = opts.observe ?? (() => undefined);

  async function post(body: string): Promise<string> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${opts.baseUrl}/schematics`, {
        method: 'POST',
        dispatcher: opts.dispatcher,
        headers: { 'content-type': 'application/yaml', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (err) {
      throw toFactoryError(err, false);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw toFactoryError(err, true);
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new FactoryError('upstream-status', `POST /schematics: HTTP ${res.statusCode}: ${text.slice(0, 200)}`, {
        upstreamStatus: res.statusCode,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new FactoryError('upstream-bad-response', 'POST /schematics: response is not JSON', { cause: err });
    }
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) {
      throw new FactoryError('upstream-bad-response', 'POST /schematics: response has no valid "id"');
    }
    return parsed.data.id;
  }

  return {
    async ensureSchematic(s) {
      const body = renderSchematic(s);
      const { value, source } = memo.get(schematicContentKey(body), () => post(body));
      try {
        const id = await value;
        observe(source === 'memo' ? 'cached' : source === 'joined' ? 'joined' : 'created');
        return id;
      } catch (err) {
        observe('error');
        throw err;
      }
    },
  };
}

/** Fakes for unit tests of the script side (STYLE 7): a fixed id, or a failure with a given code. */
export function fixedSchematics(id: string): SchematicPort & { readonly calls: SchematicRequest[] } {
  const calls: SchematicRequest[] = [];
  return {
    calls,
    ensureSchematic: (s) => {
      calls.push({ extraKernelArgs: [...s.extraKernelArgs], officialExtensions: [...s.officialExtensions] });
      return Promise.resolve(id);
    },
  };
}

export function brokenSchematics(code: FactoryError['code'] = 'upstream-connect'): SchematicPort {
  return { ensureSchematic: () => Promise.reject(new FactoryError(code, `schematics unavailable (${code})`)) };
}
