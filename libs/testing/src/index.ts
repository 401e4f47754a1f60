export { dockerAvailable } from './docker.js';
export { TestingError, TestingErrorCode } from './errors.js';
export {
  findNatsServer,
  freshNamespace,
  startNats,
  type NatsMode,
  type NatsServer,
  type StartNatsOptions,
} from './nats.js';
export { freePort, freeUdpPort } from './ports.js';
export { spawnService, type ServiceProcess } from './spawn.js';
export { tmpDir, type TmpDir } from './tmp.js';
export { waitFor, type WaitForOptions } from './wait.js';
