import { Agent, interceptors, type Dispatcher } from 'undici';

export interface UpstreamOptions {
  /** Connections per upstream origin (keep-alive pool); downloads are single-flight, so few are needed. */
  readonly connections?: number;
  readonly connectTimeoutMs: number;
}

/** One keep-alive agent for the factory hosts; GETs follow redirects (the factory answers image GETs with 302). */
export interface Upstream {
  readonly get: Dispatcher;
  readonly post: Dispatcher;
  close(): Promise<void>;
}

export function createUpstream(opts: UpstreamOptions): Upstream {
  const agent = new Agent({
    connections: opts.connections ?? 16,
    connectTimeout: opts.connectTimeoutMs,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
  });
  // A redirect is never followed for POST /schematics: the factory does not redirect it, and following a 302
  // would turn the POST into a GET.
  const get = agent.compose(interceptors.redirect({ maxRedirections: 3 }));
  return {
    get,
    post: agent,
    close: () => agent.destroy(),
  };
}
