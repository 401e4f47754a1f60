import { existsSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { dockerAvailable, freePort, spawnService, tmpDir, waitFor } from '@metalbus/testing';
import { describe, expect, it } from 'vitest';

describe('test helpers', () => {
  it('freePort returns a port that can be bound', async () => {
    const port = await freePort();
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', resolve);
    });
    srv.close();
    expect(port).toBeGreaterThan(0);
  });

  it('waitFor returns the first truthy value, or times out with a typed error', async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? `done after ${n}` : undefined), { intervalMs: 1 })).toBe('done after 3');
    await expect(waitFor(() => false, { timeoutMs: 20, intervalMs: 5, what: 'never' })).rejects.toMatchObject({
      code: 'wait-timeout',
      message: 'timed out after 20 ms waiting for never',
    });
  });

  it('tmpDir creates a directory and removes it with its contents', async () => {
    const dir = await tmpDir();
    writeFileSync(join(dir.path, 'f'), 'x');
    await dir.cleanup();
    expect(existsSync(dir.path)).toBe(false);
  });

  it('spawnService captures lines, waits for a pattern, and reports an early exit', async () => {
    const svc = spawnService(
      process.execPath,
      ['-e', 'console.log("booting"); console.error("listening on 1234"); setInterval(() => {}, 1000)'],
      { X: '1' },
    );
    const m = await svc.waitForLine(/listening on (\d+)/);
    expect(m[1]).toBe('1234');
    expect(await svc.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    expect([...svc.lines].sort()).toEqual(['booting', 'listening on 1234']);

    const quick = spawnService(process.execPath, ['-e', 'console.log("bye"); process.exit(3)']);
    await expect(quick.waitForLine(/never/)).rejects.toMatchObject({ code: 'spawn-failed' });
    expect(await quick.exited).toEqual({ code: 3, signal: null });
  });

  it('dockerAvailable pings the engine and says no quickly when nothing answers', async () => {
    const dir = await tmpDir();
    const sock = join(dir.path, 'docker.sock');
    const engine = createHttpServer((req, res) => res.writeHead(req.url === '/_ping' ? 200 : 404).end('OK'));
    await new Promise<void>((r) => engine.listen(sock, r));
    try {
      const closedPort = await freePort();
      expect(
        await Promise.all([
          dockerAvailable(`unix://${sock}`),
          dockerAvailable(`tcp://127.0.0.1:${closedPort}`),
          dockerAvailable('unix:///nonexistent/docker.sock'),
        ]),
      ).toEqual([true, false, false]);
    } finally {
      engine.close();
      await dir.cleanup();
    }
  });
});
