import { describeSelftest } from './selftest-scenarios.js';

// The harness's own check, kept cheap: one BIOS boot against the stand-in stack (dnsmasq + node:http, no metalbus
// code). When a metalbus scenario fails and this passes, look at metalbus, not at the harness. The UEFI paths are
// covered by the metalbus scenarios; `describeSelftest` can run them here too when the harness itself changes.
describeSelftest('test/e2e/selftest.e2e.test.ts', ['bios']);
