import { describeSelftest } from './selftest-scenarios.js';

// UEFI with the NIC ROM off: EDK2's own PXE client TFTP-loads iPXE (~20 s), in its own file so vitest can run it
// next to the other scenarios instead of after them.
describeSelftest('test/e2e/selftest-edk2.e2e.test.ts', ['uefi-pxe']);
