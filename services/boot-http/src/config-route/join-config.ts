import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { PROVIDER_KEYS, type JoinConfig } from '@metalbus/events';
import { scriptMetrics } from '../scripts/observe.js';
import type { KeyedReader } from '../scripts/state.js';

// GET /config?u=<uuid>: the Talos join config (reference 4.5). The same bytes for every caller; `u` is only
// logged. It holds the SideroLink join token, so the body is never logged. Without a join-config record (profile
// mode: omni-bridge is not connected to Omni) there is nothing to serve: 404 with the reason.

export type JoinConfigRoutesOptions = { provider: KeyedReader<JoinConfig>; registry: Registry };

const TEXT = 'text/plain; charset=utf-8';
const NO_CONFIG =
  'no join config: /config serves the Talos join config in Omni mode only (omni-bridge writes it to the provider bucket, key join-config); in profile mode put the kernel parameters in the profile\n';

export async function joinConfigRoutes(app: FastifyInstance, opts: JoinConfigRoutesOptions): Promise<void> {
  const metrics = scriptMetrics(opts.registry);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.responses.inc({ route: 'config', status: String(reply.statusCode) });
    metrics.duration.observe({ route: 'config' }, reply.elapsedTime / 1000);
    done();
  });

  app.get('/config', async (request, reply) => {
    const u = (request.query as Record<string, unknown> | undefined)?.['u'];
    let record: JoinConfig | undefined;
    try {
      record = opts.provider.get(PROVIDER_KEYS.joinConfig);
    } catch (error) {
      request.log.error({ err: error }, 'provider view unavailable');
      return reply
        .code(500)
        .type(TEXT)
        .send(`join config unavailable: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    request.log.debug(
      { u: typeof u === 'string' ? u.slice(0, 64) : null, found: record !== undefined },
      'join config requested',
    );
    if (record === undefined) return reply.code(404).type(TEXT).send(NO_CONFIG);
    return reply.code(200).type(TEXT).send(record.config);
  });
}
