// `npm run docs:config`: regenerates the README's configuration table from the services' zod schemas, so the
// documentation cannot drift from what the services accept (test/docs/readme.test.ts checks it is current).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configTableMarkdown, replaceBetweenMarkers } from './config-doc.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const current = readFileSync(readme, 'utf8');
const next = replaceBetweenMarkers(current, 'config-table', configTableMarkdown());
if (next !== current) writeFileSync(readme, next);
process.stdout.write(
  next === current ? 'README.md configuration table is current\n' : 'README.md configuration table updated\n',
);
