import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SERVICES = ['dhcp-proxy', 'boot-http', 'omni-bridge', 'power'];
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
if (!hasCompose)
  console.warn('!! docker-compose (Debian package docker-compose) is missing: compose validation is skipped');

describe('docker-compose.yml', () => {
  it.skipIf(!hasCompose)('is valid for docker-compose (no engine needed)', () => {
    const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, encoding: 'utf8' });
    const config = parse(out) as { services: Record<string, Record<string, unknown>> };
    expect(Object.keys(config.services).sort()).toEqual(
      ['boot-http', 'dhcp-proxy', 'lb', 'load-data', 'nats', 'omni-bridge', 'power'].sort(),
    );
  });

  it('runs each service from the one image, dhcp-proxy on the host network, boot-http behind the balancer', () => {
    const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as {
      services: Record<string, { command?: string[]; network_mode?: string; ports?: string[]; image?: string }>;
    };
    for (const name of SERVICES) {
      expect(compose.services[name]?.command, name).toEqual([name]);
      expect(compose.services[name]?.image, name).toBe('metalbus:latest');
    }
    expect(compose.services['dhcp-proxy']?.network_mode).toBe('host');
    // Scaling with --scale needs boot-http to publish no fixed host port; the balancer owns :8080.
    expect(compose.services['boot-http']?.ports).toBeUndefined();
    expect(compose.services['lb']?.ports).toEqual(['8080:8080']);
    const lb = readFileSync(`${root}deploy/compose/lb.conf`, 'utf8');
    expect(lb).toMatch(/proxy_pass \$upstream;/);
  });

  it('the image entrypoint knows every service', () => {
    const entry = readFileSync(`${root}deploy/entrypoint.sh`, 'utf8');
    for (const name of SERVICES) expect(entry).toContain(name);
    for (const name of SERVICES) {
      const out = execFileSync('sh', [`${root}deploy/entrypoint.sh`, '--help'], { encoding: 'utf8' });
      expect(out).toContain(name);
    }
  });
});

describe('deploy/k8s', () => {
  const dir = `${root}deploy/k8s/`;
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((file) => parseAllDocuments(readFileSync(dir + file, 'utf8')).map((d) => ({ file, doc: d })));

  it('every manifest parses and names its kind', () => {
    for (const { file, doc } of docs) {
      expect(doc.errors, file).toEqual([]);
      const value = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
      expect(value.apiVersion, file).toBeTruthy();
      expect(value.kind, file).toBeTruthy();
      expect(value.metadata?.name, file).toBeTruthy();
    }
  });

  it('lists every manifest in the kustomization and runs every service', () => {
    const kustomization = parse(readFileSync(`${dir}kustomization.yaml`, 'utf8')) as { resources: string[] };
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    const workloads = docs
      .map(
        ({ doc }) =>
          doc.toJS() as {
            kind: string;
            spec?: { template?: { spec?: { hostNetwork?: boolean; containers?: { args?: string[] }[] } } };
          },
      )
      .filter((d) => d.kind === 'Deployment' || d.kind === 'DaemonSet');
    const args = workloads.map((w) => w.spec?.template?.spec?.containers?.[0]?.args?.[0]);
    expect(args.sort()).toEqual([...SERVICES].sort());
    const dhcp = workloads.find((w) => w.spec?.template?.spec?.containers?.[0]?.args?.[0] === 'dhcp-proxy');
    expect(dhcp?.kind).toBe('DaemonSet');
    expect(dhcp?.spec?.template?.spec?.hostNetwork).toBe(true);
  });
});
