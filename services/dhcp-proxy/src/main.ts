import { runMain } from '@metalbus/runtime';
import { loadConfig } from './config.js';
import { createDhcpProxy } from './service.js';

await runMain('dhcp-proxy', loadConfig(process.argv.slice(2)), createDhcpProxy, {
  write: (stream, text) => process[stream].write(text),
  exit: (code) => process.exit(code),
});
