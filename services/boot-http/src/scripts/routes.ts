import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Arch } from '@metalbus/events';
import {
  DEFAULT_LABEL_LIMITS,
  omitLabels,
  parseLabels,
  rawQueryOf,
  type LabelLimits,
  type ParsedLabels,
} from '@metalbus/matchbox';
import { baseUrlOf } from './base-url.js';
import { decideIpxe, type FactoryPlan } from './decide.js';
import { ScriptError } from './errors.js';
import { machineFacts } from './facts.js';
import { genericAnswer, metadataAnswer, type TemplateCache } from './matchbox-answers.js';
import {
  observeResponse,
  scriptMetrics,
  type ObserveContext,
  type Outcome,
  type ScriptPublisher,
  type ScriptRoute,
} from './observe.js';
import { BOOTSTRAP_FLAG, bootstrapScript, chainScript, factoryPxePath, stopScript } from './render.js';
import type { RequestHints } from './request-hints.js';
import type { CmdlineReader, FactoryPort, ScriptSettings } from './settings.js';
import type { ScriptState } from './state.js';

// Fastify plugin of the script routes: /boot.ipxe(.0), /ipxe, /metadata, /generic. Handlers parse, call the pure
// decision, and send; metrics and the `boot.script` event happen in onResponse, after the reply is written.

export type ScriptRoutesOptions = {
  state: ScriptState;
  settings: ScriptSettings;
  factory: FactoryPort;
  /** Reads `cmdline-metal-<arch>`; required when settings.agentAssets is `local`. Called once per arch at start. */
  readCmdline?: CmdlineReader;
  publish: ScriptPublisher;
  registry: Registry;
  replica: string;
  now?: () => Date;
  labelLimits?: LabelLimits;
  /** Filled with each machine's base URL and arch, for warmSchematics. */
  hints?: RequestHints;
};

const TEXT = 'text/plain; charset=utf-8';
const SCHEMATIC_ID_RE = /^[0-9a-f]{64}$/;

export async function scriptRoutes(app: FastifyInstance, opts: ScriptRoutesOptions): Promise<void> {
  const { state, settings } = opts;
  const limits = opts.labelLimits ?? DEFAULT_LABEL_LIMITS;
  const localCmdlines = await loadCmdlines(app, settings, opts.readCmdline);
  const observe: ObserveContext = {
    metrics: scriptMetrics(opts.registry),
    publish: opts.publish,
    replica: opts.replica,
    now: opts.now ?? (() => new Date()),
  };
  const outcomes = new WeakMap<FastifyRequest, Outcome>();
  const templates: TemplateCache = new WeakMap();

  app.addHook('onResponse', (request, reply, done) => {
    const outcome = outcomes.get(request);
    if (outcome !== undefined)
      observeResponse(observe, outcome, {
        status: reply.statusCode,
        elapsedMs: reply.elapsedTime,
        remoteAddress: request.ip ?? null,
      });
    done();
  });

  const begin = (request: FastifyRequest, route: ScriptRoute): Outcome => {
    const outcome: Outcome = {
      route,
      mode: null,
      profileId: null,
      groupId: null,
      machineId: null,
      mac: null,
      arch: null,
    };
    outcomes.set(request, outcome);
    return outcome;
  };
  const labelsOf = (request: FastifyRequest): ParsedLabels | ScriptError => {
    const parsed = parseLabels(rawQueryOf(request.url), limits);
    return parsed.ok ? parsed.value : new ScriptError('bad-request', `bad query: ${parsed.error.message}`);
  };

  const bootstrap = async (request: FastifyRequest, reply: FastifyReply) => {
    begin(request, 'boot.ipxe');
    return guard(request, reply, false, () =>
      text(reply, 200, bootstrapScript(baseUrlOf(request, settings.advertiseUrl), settings.bootstrap)),
    );
  };
  app.get('/boot.ipxe', bootstrap);
  // dnsmasq appends `.0` to PXE boot file names (Matchbox serves both).
  app.get('/boot.ipxe.0', bootstrap);

  app.get('/ipxe', async (request, reply) => {
    const outcome = begin(request, 'ipxe');
    outcome.mode = 'none';
    // Chained from /boot.ipxe: deliberate "no script" answers become stop scripts (render.ts stopScript).
    const bootstrapped = hasBootstrapFlag(rawQueryOf(request.url));
    return guard(request, reply, bootstrapped, async () => {
      const labelled = labelsOf(request);
      if (labelled instanceof ScriptError) throw labelled;
      // The flag is ours, not a label: no selector can match it and no 404 body lists it.
      const parsed = omitLabels(labelled, [BOOTSTRAP_FLAG]);
      const facts = machineFacts(parsed.labels);
      Object.assign(outcome, { machineId: facts.machineId, mac: facts.mac, arch: facts.reportedArch });
      const base = baseUrlOf(request, settings.advertiseUrl);
      if (facts.machineId !== null) opts.hints?.remember(facts.machineId, { base, arch: facts.arch });
      const decision = decideIpxe({ labels: parsed.labels, facts, base, localCmdlines }, state, settings);
      Object.assign(outcome, { mode: decision.mode });
      if (decision.kind === 'failure') {
        Object.assign(outcome, { profileId: decision.profileId, groupId: decision.groupId });
        throw decision.error;
      }
      if (decision.kind === 'answer') {
        Object.assign(outcome, { profileId: decision.profileId, groupId: decision.groupId });
        if (bootstrapped && decision.stop !== null) return text(reply, 200, stopScript(decision.stop));
        return text(reply, decision.status, decision.body);
      }
      const schematicId = decision.schematicId ?? (await createSchematic(opts.factory, decision));
      return text(
        reply,
        200,
        chainScript(`${base}${factoryPxePath(schematicId, decision.talosVersion, decision.arch, decision.secureBoot)}`),
      );
    });
  });

  app.get('/metadata', async (request, reply) => {
    const outcome = begin(request, 'metadata');
    return guard(request, reply, false, () => {
      const parsed = labelsOf(request);
      if (parsed instanceof ScriptError) throw parsed;
      const result = metadataAnswer(parsed, state);
      outcome.groupId = result.groupId;
      return text(reply, result.status, result.body);
    });
  });

  app.get('/generic', async (request, reply) => {
    const outcome = begin(request, 'generic');
    return guard(request, reply, false, () => {
      const parsed = labelsOf(request);
      if (parsed instanceof ScriptError) throw parsed;
      const result = genericAnswer(parsed, state, templates);
      Object.assign(outcome, { groupId: result.groupId, profileId: result.profileId });
      return text(reply, result.status, result.body);
    });
  });
}

function text(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type(TEXT).send(body);
}

/** `bootstrap=1` as a pair of its own (what bootstrapScript writes); any other value is not the flag. */
function hasBootstrapFlag(rawQuery: string): boolean {
  return rawQuery.split('&').includes(`${BOOTSTRAP_FLAG}=1`);
}

/**
 * Runs a handler; a ScriptError becomes its status with the reason, anything else (a broken view) a 500. With
 * `stopOnClientError` (a bootstrap chain), a 4xx becomes a stop script: asking again cannot change the answer.
 */
async function guard(
  request: FastifyRequest,
  reply: FastifyReply,
  stopOnClientError: boolean,
  handler: () => FastifyReply | Promise<FastifyReply>,
): Promise<FastifyReply> {
  try {
    return await handler();
  } catch (error) {
    if (error instanceof ScriptError) {
      request.log.warn({ code: error.code, reason: error.message }, 'script request failed');
      if (stopOnClientError && error.status < 500) return text(reply, 200, stopScript('bad-request'));
      return text(reply, error.status, `${error.message}\n`);
    }
    request.log.error({ err: error }, 'script request failed');
    const reason = error instanceof Error ? error.message : String(error);
    return text(reply, 500, `failed to make boot decision: ${reason}\n`);
  }
}

/** The one awaited step of /ipxe: upstream HTTP to the Image Factory (content-cached by src/factory), never NATS. */
async function createSchematic(factory: FactoryPort, plan: FactoryPlan): Promise<string> {
  let id: string;
  try {
    id = await factory.ensureSchematic(plan.schematic);
  } catch (cause) {
    throw new ScriptError(
      'factory-failed',
      `image factory: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  if (!SCHEMATIC_ID_RE.test(id))
    throw new ScriptError(
      'factory-failed',
      `image factory returned an unusable schematic id ${JSON.stringify(id.slice(0, 80))}`,
    );
  return id;
}

async function loadCmdlines(
  app: FastifyInstance,
  settings: ScriptSettings,
  read: CmdlineReader | undefined,
): Promise<ReadonlyMap<Arch, string>> {
  const cmdlines = new Map<Arch, string>();
  if (settings.agentAssets !== 'local') return cmdlines;
  if (read === undefined) throw new ScriptError('not-configured', 'AGENT_ASSETS=local needs a cmdline reader');
  const problems: string[] = [];
  for (const arch of ['amd64', 'arm64'] as const) {
    try {
      const cmdline = (await read(arch)).trim().replace(/\s+/g, ' ');
      if (cmdline === '') problems.push(`cmdline-metal-${arch} is empty`);
      else cmdlines.set(arch, cmdline);
    } catch (error) {
      problems.push(`cmdline-metal-${arch}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (cmdlines.size === 0)
    throw new ScriptError(
      'assets-missing',
      `AGENT_ASSETS=local but no architecture is bootable (${problems.join('; ')})`,
    );
  if (problems.length > 0)
    app.log.warn({ problems }, 'local agent assets incomplete: those architectures cannot boot agent mode');
  return cmdlines;
}
