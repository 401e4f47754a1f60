import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('power configuration', () => {
  it('has working defaults (ops port 9104, polling every 30 s, 64 commands fleet-wide)', () => {
    const outcome = loadConfig([], {});
    if (outcome.action !== 'run') throw new Error(outcome.text);
    const c = outcome.config;
    expect({
      OPS_PORT: c.OPS_PORT,
      POWER_CONCURRENCY: c.POWER_CONCURRENCY,
      POLL_INTERVAL_S: c.POLL_INTERVAL_S,
      POLL_CONCURRENCY: c.POLL_CONCURRENCY,
      RETRIES: c.RETRIES,
      BMC_SEAL_KEY: c.BMC_SEAL_KEY,
      BMC_SEAL_KEY_ID: c.BMC_SEAL_KEY_ID,
      REDFISH_AUTH: c.REDFISH_AUTH,
      REDFISH_SET_BOOT_MODE: c.REDFISH_SET_BOOT_MODE,
      IPMI_PRIVILEGE: c.IPMI_PRIVILEGE,
      LEASE_TTL_S: c.LEASE_TTL_S,
    }).toEqual({
      OPS_PORT: 9104,
      POWER_CONCURRENCY: 64,
      POLL_INTERVAL_S: 30,
      POLL_CONCURRENCY: 16,
      RETRIES: 3,
      BMC_SEAL_KEY: undefined,
      BMC_SEAL_KEY_ID: 'default',
      REDFISH_AUTH: 'basic',
      REDFISH_SET_BOOT_MODE: true,
      IPMI_PRIVILEGE: 'administrator',
      LEASE_TTL_S: 15,
    });
  });

  it('names every bad variable in one line and never echoes a key', () => {
    const outcome = loadConfig([], {
      BMC_SEAL_KEY: 'c2hvcnQ=',
      POWER_CONCURRENCY: '0',
      REDFISH_AUTH: 'digest',
      BMC_SEAL_PREVIOUS_KEY: 'k:c2hvcnQ=',
    });
    expect(outcome).toEqual({
      action: 'exit',
      code: 2,
      stream: 'stderr',
      text:
        'power: invalid configuration: BMC_SEAL_KEY is "<redacted>", expected base64 of 32 random bytes (openssl rand -base64 32); ' +
        'BMC_SEAL_PREVIOUS_KEY is "<redacted>", expected comma-separated <key id>:<base64 of 32 bytes>; ' +
        'POWER_CONCURRENCY is "0", expected a positive integer (commands); REDFISH_AUTH is "digest", expected one of basic, session\n',
    });
  });

  it('prints its variables for --help', () => {
    const outcome = loadConfig(['--help'], {});
    expect(outcome.action === 'exit' && outcome.code === 0 && outcome.text.includes('BMC_SEAL_KEY')).toBe(true);
  });
});
