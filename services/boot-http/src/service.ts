import { createKvWriter } from '@metalbus/bus';
import { readDataDir, syncDataDir } from '@metalbus/matchbox';
import type { ServiceContext, ServiceHandle } from '@metalbus/runtime';
import { createBootHttpApp } from './app.js';
import type { BootHttpConfig } from './config.js';

/** boot-http: load the data directory if asked, then serve from the KV views. */
export async function createBootHttp(ctx: ServiceContext<BootHttpConfig>): Promise<ServiceHandle> {
  const { config, bus, logger } = ctx;
  if (config.DATA_DIR !== undefined && config.DATA_DIR_SYNC) {
    const result = await readDataDir(config.DATA_DIR);
    for (const e of result.errors) logger.error({ file: e.file, field: e.field }, `data dir: ${e.message}`);
    const report = await syncDataDir(result, createKvWriter(bus));
    logger.info(
      { dir: config.DATA_DIR, put: report.put.length, deleted: report.deleted.length, errors: result.errors.length },
      'data directory loaded into NATS',
    );
  }
  const boot = await createBootHttpApp(ctx);
  await boot.app.listen({ host: config.HTTP_ADDRESS, port: config.HTTP_PORT });
  const bound = boot.app.server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : config.HTTP_PORT;
  return {
    listening: {
      http: `http://${config.HTTP_ADDRESS.includes(':') ? `[${config.HTTP_ADDRESS}]` : config.HTTP_ADDRESS}:${port}`,
    },
    views: boot.views,
    stop: () => boot.close(),
  };
}
