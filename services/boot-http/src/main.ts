import { runMain } from '@metalbus/runtime';
import { loadConfig } from './config.js';
import { createBootHttp } from './service.js';

await runMain('boot-http', loadConfig(process.argv.slice(2)), createBootHttp, {
  write: (stream, text) => process[stream].write(text),
  exit: (code) => process.exit(code),
});
