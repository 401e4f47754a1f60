import type { Arch } from '@metalbus/events';

/** How a machine whose intent says `disk` is sent to its disk (reference 4.2, `--boot-from-disk-method`). */
export const DISK_BOOT_METHODS = ['exit', 'sanboot', 'http-404'] as const;
export type DiskBootMethod = (typeof DISK_BOOT_METHODS)[number];

/** Where agent-mode kernels come from: the Image Factory (through our cache) or local files. */
export const AGENT_ASSET_SOURCES = ['factory', 'local'] as const;
export type AgentAssetSource = (typeof AGENT_ASSET_SOURCES)[number];

/** Typed behaviour settings of the script routes (built from the config fragment by scriptSettingsFromConfig). */
export type ScriptSettings = {
  /** `http://host:port[/prefix]` without a trailing slash, or null to use the URL each request came in on. */
  advertiseUrl: string | null;
  diskBootMethod: DiskBootMethod;
  /** Profile served when no boot intent and no group matches; null answers 404. */
  defaultProfile: string | null;
  agentAssets: AgentAssetSource;
  /** Talos version of the agent-mode factory image (reference 4.3, `--agent-mode-talos-version`). */
  agentTalosVersion: string;
  /** `metal.provider.address=` value: where the Talos metal agent reaches omni-bridge's tunnel endpoint. */
  agentProviderAddress: string | null;
  agentTestMode: boolean;
  agentTlsSkipVerify: boolean;
  /** Boot `metal-<arch>-secureboot` UKIs from the factory (also per intent via BootIntent.secureBoot). */
  secureBoot: boolean;
  /** The /boot.ipxe retry loop: attempts before giving control back to the firmware, and the back-off cap. */
  bootstrap: { attempts: number; backoffMaxSeconds: number };
};

/** Reads the trimmed `cmdline-metal-<arch>` file of the local agent assets (injected; called once at start). */
export type CmdlineReader = (arch: Arch) => Promise<string>;

/** Creates (or finds in its cache) an Image Factory schematic and returns its id (the other half of boot-http). */
export type FactoryPort = {
  ensureSchematic(schematic: { extraKernelArgs: string[]; officialExtensions: string[] }): Promise<string>;
};
