import { describeSelftest } from './selftest-scenarios.js';

// BIOS and UEFI with QEMU's iPXE NIC ROM: the two fast paths (~10 s and ~13 s), run one after the other.
describeSelftest('test/e2e/selftest.e2e.test.ts', ['bios', 'uefi-ipxe']);
