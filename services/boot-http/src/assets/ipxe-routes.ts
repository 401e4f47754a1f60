import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { arm64DirFor, loadIpxeBinaries, ipxeKey, type IpxeStoreResult } from './ipxe-store.js';
import { notFound, pathOf } from './local-routes.js';
import type { AssetReporter } from './report.js';
import { decide } from './representation.js';
import { requestView, sendDecision } from './send.js';

export interface IpxeBinRoutesOptions {
  /** IPXE_DIR (amd64). */
  readonly amd64Dir: string;
  /** IPXE_ARM64_DIR, when set; else `<amd64Dir>/arm64` is used if it is a directory. */
  readonly arm64Dir?: string | undefined;
  readonly reporter: AssetReporter;
  /** For tests and benchmarks: binaries already loaded (skips the directories). */
  readonly preloaded?: IpxeStoreResult;
}

/**
 * `GET|HEAD /ipxe-bin/<arch>/<file>`: the iPXE binaries dhcp-proxy advertises to UEFI HTTP-boot clients (peers.md
 * 1.10: EDK2 sends HEAD before GET, so HEAD carries the real Content-Length). Served from memory; the lookup is an
 * exact map key, so no request ever reaches the filesystem.
 */
export async function ipxeBinRoutes(app: FastifyInstance, opts: IpxeBinRoutesOptions): Promise<void> {
  const store =
    opts.preloaded ??
    (await loadIpxeBinaries({ amd64: opts.amd64Dir, arm64: await arm64DirFor(opts.amd64Dir, opts.arm64Dir) }));
  if (store.missing.length > 0) app.log.warn({ missing: store.missing }, 'iPXE binaries missing: served as 404');
  const { reporter } = opts;

  async function handler(
    req: FastifyRequest<{ Params: { arch: string; file: string } }>,
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    const served = reporter.track(req, reply, pathOf(req.raw.url ?? ''), 'ipxe', 'ipxe');
    const bin = store.binaries.get(ipxeKey(req.params.arch, req.params.file));
    if (bin === undefined) return notFound(reply);
    const decision = decide(requestView(req), {
      size: bin.body.length,
      etag: bin.etag,
      lastModifiedSec: bin.lastModifiedSec,
      contentType: 'application/octet-stream',
      cacheControl: null,
    });
    return sendDecision(reply, decision, served, ({ start, end }) => bin.body.subarray(start, end + 1));
  }

  app.route({ method: ['GET', 'HEAD'], url: '/ipxe-bin/:arch/:file', handler });
}
