import type { ServiceContext, ServiceHandle } from '@metalbus/runtime';
import type { OmniBridgeConfig } from './config.js';

/**
 * omni-bridge: the only service that talks to Omni. Without OMNI_ENDPOINT there is nothing to bridge — machines
 * follow their Matchbox profiles (profile mode) — so it stays up, ready, and says so.
 */
export async function createOmniBridge(ctx: ServiceContext<OmniBridgeConfig>): Promise<ServiceHandle> {
  const { config, logger } = ctx;
  if (config.OMNI_ENDPOINT === undefined) {
    logger.info('OMNI_ENDPOINT is not set: profile mode, nothing to bridge (machines follow their profiles)');
    return {
      listening: {},
      readiness: () => [{ name: 'omni', ok: true, detail: 'profile mode' }],
      stop: async () => {},
    };
  }
  if (config.OMNI_SERVICE_ACCOUNT_KEY === undefined) {
    // Reported as not ready rather than crashing: the rest of the stack keeps working in profile mode.
    logger.error('OMNI_ENDPOINT is set but OMNI_SERVICE_ACCOUNT_KEY is not: cannot authenticate to Omni');
    return {
      listening: {},
      readiness: () => [{ name: 'omni', ok: false, detail: 'OMNI_SERVICE_ACCOUNT_KEY missing' }],
      stop: async () => {},
    };
  }
  logger.warn({ endpoint: config.OMNI_ENDPOINT }, 'the Omni infra-provider connection is not implemented yet');
  return {
    listening: {},
    readiness: () => [{ name: 'omni', ok: false, detail: 'Omni connection not implemented' }],
    stop: async () => {},
  };
}
