import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound, pathOf } from '../assets/local-routes.js';
import type { AssetReporter } from '../assets/report.js';
import { decide } from '../assets/representation.js';
import { requestView, sendDecision } from '../assets/send.js';
import type { CachedBody } from './cache.js';
import { FactoryError } from './errors.js';
import { companionOf, imageKey, isSchematicId, normalizeVersion, parseImageName, parsePxeTarget } from './names.js';
import { rewritePxeScript } from './pxe-rewrite.js';
import type { FactoryService } from './service.js';

export interface FactoryRoutesOptions {
  readonly factory: Pick<FactoryService, 'pxeScripts' | 'cache' | 'imageUrl'>;
  readonly reporter: AssetReporter;
  /**
   * How machines reach this service, e.g. `http://10.0.0.2:8080` (no trailing slash). Null: taken from the
   * request's Host header, which is what the machine itself just used.
   */
  readonly publicBaseUrl?: string | null;
}

type ImageParams = { id: string; version: string; file: string };
type PxeParams = { id: string; version: string; target: string };

const IMMUTABLE = 'public, max-age=31536000, immutable';
// host or IPv4 or [IPv6], optional port: anything else in Host must not end up inside a boot script.
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * `GET /factory/pxe/<id>/<version>/metal-<arch>[-secureboot]`: the factory's PXE script with its image URLs
 * pointed at us; fetching it starts prefetching the images. `GET|HEAD /factory/image/<id>/<version>/<file>`:
 * the read-through, single-flight disk cache. Upstream failures before a client got headers → 502 with the
 * reason (also for FACTORY_FAILURE_TTL_MS after one); after → the client's transfer is aborted (it never sees its
 * Content-Length met). Too many cold images at once → 503 (FACTORY_MAX_DOWNLOADS, FACTORY_DOWNLOAD_QUEUE).
 */
export async function factoryRoutes(app: FastifyInstance, opts: FactoryRoutesOptions): Promise<void> {
  const { factory, reporter } = opts;

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    // A cache stream that failed before its first byte: the stale 200 headers must not leak into the 502.
    if (err instanceof FactoryError && !reply.raw.headersSent) {
      for (const name of reply.raw.getHeaderNames()) reply.raw.removeHeader(name);
      return upstreamError(reply, err);
    }
    throw err;
  });

  function baseUrl(req: FastifyRequest): string | null {
    if (opts.publicBaseUrl) return opts.publicBaseUrl;
    const host = req.headers.host;
    return host !== undefined && HOST.test(host) ? `http://${host}` : null;
  }

  async function pxe(req: FastifyRequest<{ Params: PxeParams }>, reply: FastifyReply): Promise<FastifyReply> {
    const { id, target } = req.params;
    const version = normalizeVersion(req.params.version);
    if (!isSchematicId(id) || version === null || parsePxeTarget(target) === null) return notFound(reply);
    const base = baseUrl(req);
    if (base === null) return reply.code(400).type('text/plain; charset=utf-8').send('bad Host header\n');
    let text: string;
    try {
      text = await factory.pxeScripts.get(id, version, target);
    } catch (err) {
      if (err instanceof FactoryError) return upstreamError(reply, err);
      throw err;
    }
    // app.prefix: the image route lives under the same prefix as this one when the lead mounts us under one.
    const { script, images, foreign } = rewritePxeScript(text, `${base}${app.prefix}`);
    if (foreign.length > 0) req.log.warn({ foreign }, 'factory PXE script has URLs we do not cache');
    for (const key of images) factory.cache.prefetch(key, factory.imageUrl(key));
    return reply.code(200).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(script);
  }

  async function image(req: FastifyRequest<{ Params: ImageParams }>, reply: FastifyReply): Promise<FastifyReply> {
    const { id, file } = req.params;
    const name = parseImageName(file);
    const served = reporter.track(req, reply, pathOf(req.raw.url ?? ''), name?.kind ?? 'other', 'factory');
    let body: CachedBody | null = null;
    let closed = false;
    reply.raw.once('close', () => {
      closed = true;
      body?.release();
    });
    const version = normalizeVersion(req.params.version);
    if (name === null || version === null || !isSchematicId(id)) {
      reporter.refused('factory', 'bad-name');
      return notFound(reply);
    }
    const key = imageKey(id, version, file);
    const companion = companionOf(name);
    if (companion !== null) {
      const next = imageKey(id, version, companion);
      factory.cache.prefetch(next, factory.imageUrl(next));
    }
    try {
      body = await factory.cache.acquire(key, factory.imageUrl(key));
    } catch (err) {
      if (err instanceof FactoryError) return upstreamError(reply, err);
      throw err;
    }
    if (closed) {
      body.release(); // the client left while we waited for the upstream
      return reply;
    }
    served.cacheHit = body.result === 'hit';
    const held = body;
    const decision = decide(requestView(req), {
      size: held.size,
      etag: held.etag,
      lastModifiedSec: held.lastModifiedSec,
      contentType: 'application/octet-stream',
      cacheControl: IMMUTABLE,
    });
    return sendDecision(reply, decision, served, ({ start, end }) => held.open(start, end));
  }

  app.get('/factory/pxe/:id/:version/:target', pxe);
  app.route({ method: ['GET', 'HEAD'], url: '/factory/image/:id/:version/:file', handler: image });
}

/** 502 with the upstream's failure, or 503 when every download slot and queue place is taken. */
function upstreamError(reply: FastifyReply, err: FactoryError): FastifyReply {
  reply.code(err.statusCode).type('text/plain; charset=utf-8');
  if (err.code === 'busy') return reply.header('retry-after', '10').send(`factory cache busy: ${err.message}\n`);
  return reply.send(`upstream error (${err.code}): ${err.message}\n`);
}
