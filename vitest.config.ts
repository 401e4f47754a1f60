import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Tests import the libs from source so `npm test` needs no build step.
export default defineConfig({
  resolve: {
    alias: [{ find: /^@metalbus\/(events|bus|config|telemetry|testing|matchbox)$/, replacement: `${root}libs/$1/src/index.ts` }],
  },
  test: {
    include: ['libs/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'cli/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
