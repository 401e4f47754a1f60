import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { configTableMarkdown, replaceBetweenMarkers } from '../../scripts/config-doc.js';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

it('the README configuration table matches the services\u2019 config schemas (npm run docs:config)', () => {
  expect(replaceBetweenMarkers(readme, 'config-table', configTableMarkdown())).toBe(readme);
});

it('the README documents every variable a service reads', () => {
  for (const variable of [
    'NATS_URL',
    'ADVERTISE_ADDRESS',
    'DHCP_MODE',
    'TFTP_PORT',
    'ASSETS_DIR',
    'FACTORY_URL',
    'BMC_SEAL_KEY',
    'OMNI_ENDPOINT',
  ]) {
    expect(readme).toContain(`| \`${variable}\` |`);
  }
});
