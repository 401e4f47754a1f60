import { runMain } from '@metalbus/runtime';
import { createOmniBridge } from './bridge.js';
import { loadConfig } from './config.js';

await runMain('omni-bridge', loadConfig(process.argv.slice(2)), createOmniBridge, {
  write: (stream, text) => process[stream].write(text),
  exit: (code) => process.exit(code),
});
