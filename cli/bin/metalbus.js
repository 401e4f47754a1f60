#!/usr/bin/env node
// The metalbus CLI. Runs the compiled CLI when built (containers, `npm run build`); in a source checkout it
// loads the TypeScript through tsx with the repository's tsconfig, so `npm ci` is enough.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));
let runCli;
if (existsSync(built)) {
  ({ runCli } = await import(pathToFileURL(built).href));
} else {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
  ({ runCli } = await import(new URL('../src/main.ts', import.meta.url).href));
}
const code = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
process.exit(code);
