import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { startDnsmasq } from './dnsmasq.js';
import { GrowingFile, waitForText } from './logfile.js';
import { startChild } from './processes.js';
import type { BootTarget, Stack, StartStack } from './stack.js';

// The harness self-test's stand-in for metalbus: variant A of reference/pxe-e2e.md. One dnsmasq gives addresses
// and the boot file (the HTTP script URL to iPXE, an iPXE binary over TFTP to plain PXE firmware) and a small
// node:http server serves the script, the kernel and the initramfs. No metalbus code runs.

const HTTP_PORT = 8080;
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HTTP_ENTRY = fileURLToPath(new URL('./selftest-http.ts', import.meta.url));
/** First-stage binaries for firmware that is not iPXE yet (Debian's ipxe package). */
export const SELFTEST_NBP = { bios: '/usr/lib/ipxe/undionly.kpxe', efi64: '/usr/lib/ipxe/snponly.efi' } as const;

export type ServedRequest = { path: string; status: number; bytes: number };

export type SelftestStack = Stack & {
  /** The HTTP requests served so far, in order. */
  served(): Promise<ServedRequest[]>;
};

/** The iPXE script the self-test serves. Pure. */
export function selftestScript(httpBase: string, boot: BootTarget): string {
  const initrd = basename(boot.initrdPath);
  return [
    '#!ipxe',
    'echo metalbus e2e self-test: script for ${uuid} (${platform}/${buildarch}) at ${ip}',
    // initrd=<name>: the Linux EFI stub loads the initrd iPXE registered under that name (iPXE 2019 on UEFI).
    `kernel ${httpBase}/${basename(boot.kernelPath)} initrd=${initrd} ${boot.kernelArgs.join(' ')}`,
    `initrd ${httpBase}/${initrd}`,
    'boot',
    '',
  ].join('\n');
}

export const startSelftestStack: StartStack<SelftestStack> = async (ns, opts) => {
  const httpBase = `http://${ns.subnet.server}:${HTTP_PORT}`;
  const dir = join(opts.runDir, 'selftest');
  const tftpRoot = join(dir, 'tftp');
  await mkdir(tftpRoot, { recursive: true });

  const scriptPath = join(dir, 'boot.ipxe');
  await writeFile(scriptPath, selftestScript(httpBase, opts.boot));
  const routesPath = join(dir, 'routes.json');
  const routes = {
    '/boot.ipxe': scriptPath,
    [`/${basename(opts.boot.kernelPath)}`]: opts.boot.kernelPath,
    [`/${basename(opts.boot.initrdPath)}`]: opts.boot.initrdPath,
  };
  await writeFile(routesPath, JSON.stringify(routes, null, 2));
  for (const nbp of Object.values(SELFTEST_NBP)) await copyFile(nbp, join(tftpRoot, basename(nbp)));

  const httpLog = new GrowingFile(join(dir, 'http.log'));
  const http = await startChild({
    name: 'selftest http',
    argv: [process.execPath, '--import', 'tsx', HTTP_ENTRY, routesPath, String(HTTP_PORT)],
    logPath: httpLog.path,
    netns: ns.name,
    cwd: REPO_ROOT,
  });
  try {
    await waitForText(httpLog, (t) => (t.includes('"listening"') ? true : undefined), {
      timeoutMs: 15_000,
      child: http,
      what: 'the self-test HTTP server listening',
    });
  } catch (error) {
    await http.stop();
    throw error;
  }

  const dhcp = await startDnsmasq(ns, dir, {
    kind: 'full',
    scriptUrl: `${httpBase}/boot.ipxe`,
    tftpRoot,
    nbp: { bios: basename(SELFTEST_NBP.bios), efi64: basename(SELFTEST_NBP.efi64) },
  }).catch(async (error: unknown) => {
    await http.stop();
    throw error;
  });

  return {
    httpBase,
    events: undefined,
    logFiles: [httpLog.path, join(dir, 'dnsmasq.log'), dhcp.logPath],
    stop: async () => {
      await dhcp.stop();
      await http.stop();
    },
    served: async () => parseServed(await httpLog.read()),
  };
};

const servedLine = z.object({ served: z.string(), status: z.number(), bytes: z.number() });

function parseServed(log: string): ServedRequest[] {
  const served: ServedRequest[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{"served"')) continue;
    const entry = servedLine.parse(JSON.parse(line));
    served.push({ path: entry.served, status: entry.status, bytes: entry.bytes });
  }
  return served;
}
