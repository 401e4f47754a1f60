import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const include = [
  'libs/*/test/**/*.test.ts',
  'services/*/test/**/*.test.ts',
  'cli/test/**/*.test.ts',
  'test/**/*.test.ts',
];

// Tests import the libs from source so `npm test` needs no build step.
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^@metalbus\/(events|bus|config|telemetry|testing|matchbox|runtime|secrets)$/,
        replacement: `${root}libs/$1/src/index.ts`,
      },
    ],
  },
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include, exclude: ['test/e2e/**/*.e2e.test.ts', '**/node_modules/**'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.e2e.test.ts'] } },
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
