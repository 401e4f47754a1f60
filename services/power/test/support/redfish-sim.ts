import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A Redfish BMC for tests, written from the DMTF schema facts (ServiceRoot, ComputerSystemCollection,
// ComputerSystem with Boot and Actions/#ComputerSystem.Reset, SessionService, Settings, ActionInfo, error
// bodies with @Message.ExtendedInfo) and quirks of real BMCs (AMI /SD, settings objects with ETags, refusing
// BootSourceOverrideMode, 409 to a reset that changes nothing). Power changes apply at once.

export type SimVariant = 'standard' | 'settings' | 'ami' | 'rejects-mode';

export interface RedfishSimOptions {
  systems?: { id: string; uuid: string; powerState?: 'On' | 'Off' }[];
  /** HTTPS with this key/cert; plain HTTP when absent. */
  tls?: { key: string; cert: string };
  username?: string;
  password?: string;
  variant?: SimVariant;
  /** `ResetType@Redfish.AllowableValues`; null leaves the annotation out. */
  allowableResetTypes?: string[] | null;
  /** List the allowable values in an ActionInfo resource instead of inline (Supermicro style). */
  resetActionInfo?: boolean;
  /** Answer every authenticated request with this status (503 busy, 500 general error). */
  failStatus?: number;
  /** Answer nothing for this long (a huge value: a BMC that hangs). */
  delayMs?: number;
  /** Change the settings/SD ETag right after the next GET of it, so the following If-Match is stale once. */
  staleEtagOnce?: boolean;
  /**
   * Carry out this many Reset actions, then drop the connection instead of answering each (a BMC sharing its NIC
   * with the host it just power-cycled): the client sees the connection closed under its request.
   */
  dropResetAnswers?: number;
}

export type SimBoot = Record<
  'BootSourceOverrideEnabled' | 'BootSourceOverrideTarget' | 'BootSourceOverrideMode',
  string
>;

export interface SimSystem {
  id: string;
  uuid: string;
  powerState: 'On' | 'Off';
  boot: SimBoot;
  /** Boot values written to the Settings / SD object, applied at the next boot. */
  pending: Partial<SimBoot> | null;
  /** Every accepted ResetType, in order. */
  resets: string[];
  /** What each boot booted from: the override target when one was active, else `default`. */
  booted: string[];
  /** Version behind the system's and the settings object's ETags. */
  settingsVersion: number;
}

export interface RedfishSim {
  readonly url: string;
  readonly port: number;
  readonly systems: ReadonlyMap<string, SimSystem>;
  /** `METHOD path auth status` per answered request, in order (auth: none | basic | session | bad). */
  readonly requests: string[];
  openSessions(): number;
  /** Forget every session, as a BMC does when sessions time out or it restarts. */
  expireSessions(): void;
  openConnections(): number;
  /** Resolves once every client connection is gone. */
  connectionsClosed(): Promise<void>;
  close(): Promise<void>;
}

export const ALL_RESET_TYPES =
  'On ForceOff GracefulShutdown GracefulRestart ForceRestart Nmi ForceOn PushPowerButton PowerCycle'.split(' ');
/** Values the simulator accepts in a Boot PATCH (the ComputerSystem schema's enums, trimmed). */
const BOOT_VALUES: Readonly<Record<keyof SimBoot, readonly string[]>> = {
  BootSourceOverrideEnabled: ['Once', 'Continuous', 'Disabled'],
  BootSourceOverrideTarget: ['None', 'Pxe', 'Hdd', 'Cd', 'BiosSetup', 'UefiShell'],
  BootSourceOverrideMode: ['Legacy', 'UEFI'],
};
const SYSTEMS = '/redfish/v1/Systems';
const SESSIONS = '/redfish/v1/SessionService/Sessions';
/** A JSON fixture with `{{name}}` placeholders (inside strings) filled in, JSON-escaped. */
const fixture = (name: string, vars: Record<string, string> = {}): unknown => {
  const text = readFileSync(new URL(`../fixtures/redfish/${name}`, import.meta.url), 'utf8');
  return JSON.parse(text.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => JSON.stringify(vars[key] ?? '').slice(1, -1)));
};
const MESSAGES = fixture('sim-messages.json') as Record<string, { status: number; id: string; text: string }>;

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

type Request = { method: string; path: string; body: unknown; headers: http.IncomingHttpHeaders };
type SystemJson = Record<string, unknown> & {
  Boot: Record<string, unknown>;
  Actions: { '#ComputerSystem.Reset': Record<string, unknown> };
};
type ActionInfoJson = Record<string, unknown> & { Parameters: Record<string, unknown>[] };

export async function startRedfishSim(options: RedfishSimOptions = {}): Promise<RedfishSim> {
  const username = options.username ?? 'admin';
  const password = options.password ?? 'sim-password-1';
  const variant = options.variant ?? 'standard';
  const allowable = options.allowableResetTypes === undefined ? ALL_RESET_TYPES : options.allowableResetTypes;
  const systems = new Map<string, SimSystem>();
  for (const init of options.systems ?? [{ id: '1', uuid: '4c4c4544-0051-3010-8052-b4c04f564433' }]) {
    const boot = {
      BootSourceOverrideEnabled: 'Disabled',
      BootSourceOverrideTarget: 'None',
      BootSourceOverrideMode: 'UEFI',
    };
    const state = {
      powerState: init.powerState ?? 'Off',
      boot,
      pending: null,
      resets: [],
      booted: [],
      settingsVersion: 1,
    };
    systems.set(init.id, { id: init.id, uuid: init.uuid, ...state });
  }
  const sessions = new Map<string, string>(); // token → session path
  let sessionCounter = 0;
  let staleOnce = options.staleEtagOnce ?? false;
  let resetAnswersToDrop = options.dropResetAnswers ?? 0;
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const drained: (() => void)[] = [];

  function authOf(headers: http.IncomingHttpHeaders): 'none' | 'basic' | 'session' | 'bad' {
    const token = headers['x-auth-token'];
    if (typeof token === 'string') return sessions.has(token) ? 'session' : 'bad';
    if (headers.authorization === undefined) return 'none';
    const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    return headers.authorization === expected ? 'basic' : 'bad';
  }

  function route(req: Request): Reply {
    const { method, path } = req;
    if (path === '/redfish/v1/' || path === '/redfish/v1')
      return method === 'GET' ? ok(serviceRoot()) : fail('OperationNotAllowed');
    if (path === SESSIONS && method === 'POST') return login(req.body);
    const auth = authOf(req.headers);
    if (auth === 'none' || auth === 'bad') return fail('NoValidSession');
    if (options.failStatus === 503) return fail('ServiceTemporarilyUnavailable', ['10']);
    if (options.failStatus !== undefined) return { ...fail('GeneralError'), status: options.failStatus };
    if (path.startsWith(`${SESSIONS}/`) && method === 'DELETE') return logout(path, req.headers);
    if (path === SYSTEMS && method === 'GET') return ok(collection());
    const match = /^\/redfish\/v1\/Systems\/([^/]+)(\/.*)?$/.exec(path);
    const system = systems.get(decodeURIComponent(match?.[1] ?? ''));
    if (match === null || system === undefined) return fail('ResourceMissingAtURI', [path]);
    const rest = match[2] ?? '';
    if (rest === '' && method === 'GET')
      return ok(systemResource(system), { etag: `W/"sys-${system.settingsVersion}"` });
    if (rest === '' && method === 'PATCH') return patchSystem(system, req.body);
    if (rest === '/Actions/ComputerSystem.Reset' && method === 'POST') return reset(system, req.body);
    if (rest === '/ResetActionInfo' && method === 'GET') return ok(actionInfo(system));
    if ((rest === '/Settings' && variant === 'settings') || (rest === '/SD' && variant === 'ami')) {
      return pendingObject(system, req);
    }
    return fail(rest === '' ? 'OperationNotAllowed' : 'ResourceMissingAtURI', [path]);
  }

  function serviceRoot(): unknown {
    const root = fixture('sim-service-root.json') as Record<string, unknown>;
    return variant === 'ami' ? { ...root, Vendor: 'AMI', Oem: { Ami: { RtpVersion: '1.0' } } } : root;
  }

  function collection(): unknown {
    const members = [...systems.keys()].map((id) => ({ '@odata.id': `${SYSTEMS}/${id}` }));
    const type = '#ComputerSystemCollection.ComputerSystemCollection';
    return { '@odata.type': type, '@odata.id': SYSTEMS, 'Members@odata.count': members.length, Members: members };
  }

  function systemResource(system: SimSystem): unknown {
    const path = `${SYSTEMS}/${system.id}`;
    const resource = fixture('sim-computer-system.json', { path, id: system.id, uuid: system.uuid }) as SystemJson;
    const reset = resource.Actions['#ComputerSystem.Reset'];
    if (options.resetActionInfo === true) reset['@Redfish.ActionInfo'] = `${path}/ResetActionInfo`;
    else if (allowable !== null) reset['ResetType@Redfish.AllowableValues'] = allowable;
    // The AMI variant does not advertise /SD: clients have to know it (Omni bare-metal provider PR #68).
    const settings = { SettingsObject: { '@odata.id': `${path}/Settings` } };
    if (variant === 'settings') resource['@Redfish.Settings'] = settings;
    return { ...resource, PowerState: system.powerState, Boot: { ...resource.Boot, ...system.boot } };
  }

  function patchSystem(system: SimSystem, body: unknown): Reply {
    const boot = bootOf(body);
    if (boot === null) return fail('MalformedJSON');
    if (variant === 'ami') return fail('FutureStateOnly', [`${SYSTEMS}/${system.id}/SD`]);
    if (variant === 'settings') return fail('PropertyNotWritable', ['Boot'], ['#/Boot']);
    if (variant === 'rejects-mode' && boot.BootSourceOverrideMode !== undefined) {
      const args = [boot.BootSourceOverrideMode, 'BootSourceOverrideMode'];
      return fail('PropertyValueNotInList', args, ['#/Boot/BootSourceOverrideMode']);
    }
    const invalid = invalidBoot(boot);
    if (invalid !== null) return invalid;
    system.boot = { ...system.boot, ...boot };
    system.settingsVersion++;
    return { status: 204 };
  }

  /** A settings object (DSP0266 "Settings resource"): If-Match required, applied at the next boot. */
  function pendingObject(system: SimSystem, req: Request): Reply {
    const etag = `W/"pending-${system.settingsVersion}"`;
    if (req.method === 'GET') {
      if (staleOnce) {
        staleOnce = false;
        system.settingsVersion++; // someone else writes right after our read
      }
      return ok({ '@odata.id': req.path, Boot: system.pending ?? {} }, { etag });
    }
    if (req.method !== 'PATCH') return fail('OperationNotAllowed');
    const ifMatch = req.headers['if-match'];
    if (ifMatch === undefined) return fail('PreconditionRequired');
    if (ifMatch !== etag) return fail('PreconditionFailed');
    const boot = bootOf(req.body);
    if (boot === null) return fail('MalformedJSON');
    const invalid = invalidBoot(boot);
    if (invalid !== null) return invalid;
    system.pending = { ...(system.pending ?? {}), ...boot };
    system.settingsVersion++;
    return { status: 204 };
  }

  function reset(system: SimSystem, body: unknown): Reply {
    const type = isObject(body) ? body['ResetType'] : undefined;
    if (typeof type !== 'string' || !(allowable ?? ALL_RESET_TYPES).includes(type)) {
      return fail('ActionParameterValueNotInList', [String(type)]);
    }
    const on = system.powerState === 'On';
    const needsOn = ['ForceOff', 'GracefulShutdown', 'ForceRestart', 'GracefulRestart'].includes(type);
    if (((type === 'On' || type === 'ForceOn') && on) || (needsOn && !on)) {
      return fail('AlreadyInState', [system.powerState]);
    }
    system.resets.push(type);
    if (type === 'ForceOff' || type === 'GracefulShutdown' || (type === 'PushPowerButton' && on)) {
      system.powerState = 'Off';
    } else if (type !== 'Nmi') {
      bootSystem(system);
    }
    return { status: 204 };
  }

  /** Power comes on (or the system restarts): pending settings apply, a Once override is consumed. */
  function bootSystem(system: SimSystem): void {
    system.powerState = 'On';
    system.boot = { ...system.boot, ...(system.pending ?? {}) };
    system.pending = null;
    const { BootSourceOverrideEnabled: enabled, BootSourceOverrideTarget: target } = system.boot;
    system.booted.push(enabled !== 'Disabled' && target !== 'None' ? target : 'default');
    if (enabled === 'Once') system.boot.BootSourceOverrideEnabled = 'Disabled';
    system.settingsVersion++;
  }

  function actionInfo(system: SimSystem): unknown {
    const info = fixture('sim-reset-action-info.json', { path: `${SYSTEMS}/${system.id}` }) as ActionInfoJson;
    return {
      ...info,
      Parameters: info.Parameters.map((p) => ({ ...p, AllowableValues: allowable ?? ALL_RESET_TYPES })),
    };
  }

  function login(body: unknown): Reply {
    if (!isObject(body) || body['UserName'] !== username || body['Password'] !== password) {
      return fail('LoginFailed', [SESSIONS]);
    }
    const token = randomBytes(16).toString('hex');
    const path = `${SESSIONS}/${++sessionCounter}`;
    sessions.set(token, path);
    const session = fixture('sim-session.json', { path, id: String(sessionCounter), user: username });
    return { status: 201, headers: { 'x-auth-token': token, location: path }, body: session };
  }

  function logout(path: string, headers: http.IncomingHttpHeaders): Reply {
    const token = headers['x-auth-token'];
    if (typeof token !== 'string' || sessions.get(token) !== path) return fail('ResourceMissingAtURI', [path]);
    sessions.delete(token);
    return { status: 204 };
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const method = req.method ?? 'GET';
      const auth = authOf(req.headers);
      const answer = (): void => {
        const text = Buffer.concat(chunks).toString('utf8');
        let reply: Reply;
        try {
          reply = route({ method, path, body: text === '' ? undefined : JSON.parse(text), headers: req.headers });
        } catch {
          reply = fail('MalformedJSON');
        }
        if (resetAnswersToDrop > 0 && method === 'POST' && path.endsWith('/Actions/ComputerSystem.Reset')) {
          resetAnswersToDrop--;
          requests.push(`${method} ${path} ${auth} dropped`);
          req.socket.destroy();
          return;
        }
        requests.push(`${method} ${path} ${auth} ${reply.status}`);
        write(res, reply);
      };
      if (options.delayMs === undefined) return answer();
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, options.delayMs);
      timers.add(timer);
    });
  }

  const server = options.tls !== undefined ? https.createServer(options.tls, handle) : http.createServer(handle);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      if (sockets.size > 0) return;
      for (const resolve of drained.splice(0)) resolve();
    });
  });
  server.on('tlsClientError', () => undefined); // clients that refuse our certificate hang up mid-handshake
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${options.tls !== undefined ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    systems,
    requests,
    openSessions: () => sessions.size,
    expireSessions: () => sessions.clear(),
    openConnections: () => sockets.size,
    connectionsClosed: () => (sockets.size === 0 ? Promise.resolve() : new Promise((resolve) => drained.push(resolve))),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bootOf(body: unknown): Partial<SimBoot> | null {
  const boot = isObject(body) ? body['Boot'] : undefined;
  if (!isObject(boot)) return null;
  const out: Partial<SimBoot> = {};
  for (const key of Object.keys(BOOT_VALUES) as (keyof SimBoot)[]) {
    const value = boot[key];
    if (typeof value === 'string') out[key] = value;
    else if (value !== undefined) return null;
  }
  return out;
}

function invalidBoot(boot: Partial<SimBoot>): Reply | null {
  for (const [key, values] of Object.entries(BOOT_VALUES)) {
    const value = boot[key as keyof SimBoot];
    if (value !== undefined && !values.includes(value))
      return fail('PropertyValueNotInList', [value, key], [`#/Boot/${key}`]);
  }
  return null;
}

function ok(body: unknown, headers: Record<string, string> = {}): Reply {
  return { status: 200, body, headers };
}

/** A Redfish error body: a generic error.code plus one @Message.ExtendedInfo entry (DSP0266 "Error responses"). */
function fail(name: string, args: string[] = [], related: string[] = []): Reply {
  const message = MESSAGES[name];
  if (message === undefined) throw new Error(`no sim message ${name}`);
  const text = args.reduce((t, arg, i) => t.replace(`%${i + 1}`, arg), message.text);
  const code = message.id.startsWith('Base.') ? 'Base.1.8.GeneralError' : message.id;
  const body = fixture('sim-error.json', { code, id: message.id, text }) as { error: Record<string, unknown> };
  const info = (body.error['@Message.ExtendedInfo'] as Record<string, unknown>[])[0];
  Object.assign(info ?? {}, { MessageArgs: args, RelatedProperties: related });
  return { status: message.status, body };
}

function write(res: http.ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { 'odata-version': '4.0', ...(reply.headers ?? {}) };
  if (reply.body === undefined) return void res.writeHead(reply.status, headers).end();
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(text);
}

/** A throw-away self-signed certificate for 127.0.0.1/localhost, made with the openssl CLI. */
export function makeSelfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mb-redfish-sim-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const subject = `/CN=redfish-sim-${randomUUID().slice(0, 8)}`;
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    args.push('-keyout', key, '-out', cert, '-days', '2', '-subj', subject);
    args.push('-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    execFileSync('openssl', args, { stdio: 'ignore' });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
