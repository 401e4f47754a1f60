import { describe, expect, it } from 'vitest';
import { scriptConfigSchema, scriptConfigShape, scriptSettingsFromConfig } from '../src/scripts/index.js';

describe('script config fragment', () => {
  it('has defaults for everything and turns empty strings into "not set"', () => {
    expect(
      scriptSettingsFromConfig(scriptConfigSchema.parse({ ADVERTISE_URL: '', DEFAULT_PROFILE: '', DATA_DIR: '' })),
    ).toEqual({
      advertiseUrl: null,
      diskBootMethod: 'exit',
      defaultProfile: null,
      agentAssets: 'factory',
      agentTalosVersion: 'v1.13.7',
      agentProviderAddress: null,
      agentTestMode: false,
      agentTlsSkipVerify: false,
      secureBoot: false,
      bootstrap: { attempts: 10, backoffMaxSeconds: 32 },
    });
  });

  it('parses every variable from env strings', () => {
    const config = scriptConfigSchema.parse({
      ADVERTISE_URL: 'http://10.0.0.5:8080/boot/',
      DISK_BOOT_METHOD: 'http-404',
      DEFAULT_PROFILE: 'talos',
      AGENT_ASSETS: 'local',
      AGENT_TALOS_VERSION: '1.12.0',
      AGENT_PROVIDER_ADDRESS: 'https://10.0.0.2:50043',
      AGENT_TEST_MODE: 'true',
      AGENT_TLS_SKIP_VERIFY: '0',
      SECURE_BOOT: 'yes',
      BOOTSTRAP_ATTEMPTS: '4',
      BOOTSTRAP_BACKOFF_MAX_SECONDS: '64',
      DATA_DIR: '/var/lib/matchbox',
    });
    expect(config.DATA_DIR).toBe('/var/lib/matchbox');
    expect(scriptSettingsFromConfig(config)).toEqual({
      advertiseUrl: 'http://10.0.0.5:8080/boot',
      diskBootMethod: 'http-404',
      defaultProfile: 'talos',
      agentAssets: 'local',
      agentTalosVersion: '1.12.0',
      agentProviderAddress: 'https://10.0.0.2:50043',
      agentTestMode: true,
      agentTlsSkipVerify: false,
      secureBoot: true,
      bootstrap: { attempts: 4, backoffMaxSeconds: 64 },
    });
  });

  it('names every bad variable at once', () => {
    const result = scriptConfigSchema.safeParse({
      ADVERTISE_URL: 'ftp://x',
      DISK_BOOT_METHOD: 'reboot',
      AGENT_TALOS_VERSION: 'latest',
      AGENT_PROVIDER_ADDRESS: 'a b',
      SECURE_BOOT: 'maybe',
      BOOTSTRAP_BACKOFF_MAX_SECONDS: '30',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'ADVERTISE_URL',
      'AGENT_PROVIDER_ADDRESS',
      'AGENT_TALOS_VERSION',
      'BOOTSTRAP_BACKOFF_MAX_SECONDS',
      'DISK_BOOT_METHOD',
      'SECURE_BOOT',
    ]);
  });

  it('describes every variable (the README table)', () => {
    const missing = Object.entries(scriptConfigShape)
      .filter(([, schema]) => !schema.description)
      .map(([key]) => key);
    expect(missing).toEqual([]);
  });
});
