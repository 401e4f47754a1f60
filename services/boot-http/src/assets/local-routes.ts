import { createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { splitAssetPath } from './asset-path.js';
import { fileEtag } from './conditional.js';
import { assetKindFor, contentTypeFor } from './content-type.js';
import type { AssetReporter } from './report.js';
import { decide } from './representation.js';
import { closeFd, FileResolver } from './resolve-file.js';
import { requestView, sendDecision } from './send.js';

export interface AssetRoutesOptions {
  /** ASSETS_DIR. It may appear after start-up: until it exists every request is a 404. */
  readonly root: string;
  readonly reporter: AssetReporter;
  /** Read size per chunk when streaming a file (bigger means fewer syscalls; memory per connection). */
  readonly chunkBytes?: number;
  /** Memory for whole big files served from memory after their first request (ASSETS_MEMORY_BYTES); 0 = off. */
  readonly memoryBytes?: number;
}

export const DEFAULT_CHUNK_BYTES = 256 * 1024;

/**
 * `GET|HEAD /assets/*`: files below ASSETS_DIR with Range, ETag and conditional requests. Files above 64 KiB are
 * streamed from disk in `chunkBytes` reads until the resolver holds them in memory (`memoryBytes`, LRU, checked
 * against size and mtime on every request); smaller ones are answered from memory for up to 1 s (FileResolver). No directory listing: a directory is a 404 like a missing file, so the tree's layout is
 * not discoverable from the network (operators have the disk; machines only need exact URLs from their scripts).
 */
export async function assetRoutes(app: FastifyInstance, opts: AssetRoutesOptions): Promise<void> {
  const base = `${app.prefix}/assets/`;
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const { reporter } = opts;
  let resolver: FileResolver | null = null;

  async function files(): Promise<FileResolver | null> {
    if (resolver === null) {
      const realRoot = await realpath(opts.root).catch(() => null);
      if (realRoot !== null) resolver = new FileResolver({ realRoot, hotBytes: opts.memoryBytes ?? 0 });
    }
    return resolver;
  }
  if ((await files()) === null) {
    app.log.warn({ root: opts.root }, 'assets directory missing: /assets/* answers 404 until it exists');
  }

  async function handler(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const raw = req.raw.url ?? '';
    const served = reporter.track(req, reply, pathOf(raw), 'other', 'local');
    const parsed = splitAssetPath(raw.startsWith(base) ? raw.slice(base.length) : '');
    if (!parsed.ok) {
      reporter.refused('local', parsed.error);
      return notFound(reply);
    }
    const name = parsed.value[parsed.value.length - 1] ?? '';
    served.kind = assetKindFor(name);
    const resolve = await files();
    if (resolve === null) return notFound(reply);
    const opened = await resolve.open(parsed.value);
    if (!opened.ok) {
      if (opened.error !== 'not-found') reporter.refused('local', opened.error);
      return notFound(reply);
    }
    const file = opened.value;
    const decision = decide(requestView(req), {
      size: file.size,
      etag: fileEtag(file.size, file.mtimeMs),
      lastModifiedSec: Math.floor(file.mtimeMs / 1000),
      contentType: contentTypeFor(name),
      cacheControl: null,
    });
    if (file.kind === 'memory') {
      return sendDecision(reply, decision, served, ({ start, end }) => file.body.subarray(start, end + 1));
    }
    let streaming = false;
    sendDecision(reply, decision, served, ({ start, end }) => {
      streaming = true;
      // autoClose: the stream closes the descriptor when it ends or is destroyed (client gone).
      return createReadStream('', { fd: file.fd, start, end, highWaterMark: chunkBytes, autoClose: true });
    });
    if (!streaming) closeFd(file.fd);
    return reply;
  }

  app.route({ method: ['GET', 'HEAD'], url: '/assets/*', handler });
}

export function pathOf(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  return q < 0 ? rawUrl : rawUrl.slice(0, q);
}

export function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
}
