import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { bootIntentSchema, type BootIntent, type BootIntentInput, type EventInput } from '@metalbus/events';
import { assetRoutes, createAssetReporter } from '../src/assets/index.js';
import { joinConfigRoutes } from '../src/config-route/join-config.js';
import {
  scriptConfigSchema,
  scriptRoutes,
  scriptSettingsFromConfig,
  type FactoryPort,
  type ScriptRoutesOptions,
  type ScriptSettings,
  type ScriptState,
} from '../src/scripts/index.js';

// Shared set-up of the script route tests (not a test file itself).

export const UUID = '4c4c4544-0037-3010-8048-b4c04f4a4e32';
export const MAC = '52:54:00:12:34:56';
export const HOST = '10.0.0.5:8080';
export const BASE = `http://${HOST}`;
export const NOW = new Date('2026-08-22T10:00:00.000Z');
export const SCHEMATIC = 'a'.repeat(64);

/** Settings from the config fragment, as the service builds them. */
export function settingsFrom(env: Record<string, string>): ScriptSettings {
  return scriptSettingsFromConfig(scriptConfigSchema.parse({ AGENT_PROVIDER_ADDRESS: '10.0.0.2:50042', ...env }));
}

export function intent(input: Partial<BootIntentInput> & Pick<BootIntentInput, 'mode'>): BootIntent {
  return bootIntentSchema.parse({ machineId: UUID, updatedAt: '2026-08-22T09:00:00.000Z', ...input });
}

/** Factory fakes: Fixed (records what it was asked), Broken (rejects). */
export function fixedFactory(
  id = SCHEMATIC,
): FactoryPort & { calls: { extraKernelArgs: string[]; officialExtensions: string[] }[] } {
  const calls: { extraKernelArgs: string[]; officialExtensions: string[] }[] = [];
  return {
    calls,
    ensureSchematic: async (schematic) => {
      calls.push(schematic);
      return id;
    },
  };
}
export const brokenFactory: FactoryPort = {
  ensureSchematic: async () => {
    throw new Error('POST https://factory.talos.dev/schematics: 503 Service Unavailable');
  },
};

export type Published = { kind: string; event: EventInput<'boot.script'> };

export type Built = {
  app: FastifyInstance;
  published: Published[];
  registry: Registry;
  factory: ReturnType<typeof fixedFactory>;
  nextPublish: () => Promise<Published>;
};

/** A Fastify app with only the script and /config plugins (and /assets/ from `assetsRoot`, when given). */
export async function build(
  state: ScriptState,
  overrides: Partial<ScriptRoutesOptions> = {},
  extras: { assetsRoot?: string } = {},
): Promise<Built> {
  const app = Fastify({ logger: false });
  const registry = new Registry();
  const published: Published[] = [];
  const waiters: ((p: Published) => void)[] = [];
  const factory = fixedFactory();
  await app.register(scriptRoutes, {
    state,
    settings: settingsFrom({}),
    factory,
    publish: (kind, event) => {
      const entry = { kind, event };
      published.push(entry);
      waiters.shift()?.(entry);
    },
    registry,
    replica: 'boot-http-0',
    now: () => NOW,
    ...overrides,
  });
  await app.register(joinConfigRoutes, { provider: state.provider, registry });
  if (extras.assetsRoot !== undefined) {
    const reporter = createAssetReporter({
      registry,
      publish: () => undefined,
      resolveMachine: () => null,
      replica: 'x',
    });
    await app.register(assetRoutes, { root: extras.assetsRoot, reporter });
  }
  await app.ready();
  const nextPublish = () => new Promise<Published>((resolve) => waiters.push(resolve));
  return { app, published, registry, factory, nextPublish };
}

/** A response reduced to what the tests compare whole. */
export async function get(app: FastifyInstance, url: string, host = HOST) {
  const res = await app.inject({ method: 'GET', url, headers: { host } });
  return {
    status: res.statusCode,
    type: res.headers['content-type'],
    length: res.headers['content-length'],
    body: res.body,
  };
}

export const text = (status: number, body: string) => ({
  status,
  type: 'text/plain; charset=utf-8',
  length: String(Buffer.byteLength(body)),
  body,
});
