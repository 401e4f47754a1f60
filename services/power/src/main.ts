import { runMain } from '@metalbus/runtime';
import { loadConfig } from './config.js';
import { createPower } from './service.js';

await runMain('power', loadConfig(process.argv.slice(2)), createPower, {
  write: (stream, text) => process[stream].write(text),
  exit: (code) => process.exit(code),
});
