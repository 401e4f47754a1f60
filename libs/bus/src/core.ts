import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Kvm } from '@nats-io/kv';
import type { NatsConnection, Status } from '@nats-io/nats-core';
import type { Logger } from '@metalbus/telemetry';
import type { BusMetrics } from './metrics.js';
import type { Names } from './names.js';

export type PublishOptions = {
  /**
   * JetStream dedup key (`Nats-Msg-Id`, deduplicated within the stream's 2-minute window across ALL subjects).
   * Default: `<kind>:<requestId>` for events that carry a requestId (commands and their outcomes), else random.
   */
  msgId?: string;
  /** PubAck wait (publish only). Default 5000 ms. */
  timeoutMs?: number;
};

export type BusStatus = {
  connected: boolean;
  closed: boolean;
  /** The server URL of the current connection, without credentials. */
  server: string | null;
  /** tryPublish calls waiting for their PubAck. */
  inFlight: number;
};

/** What views, consumers and provisioning need from a connection. */
export type BusCore = {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly kvm: Kvm;
  readonly names: Names;
  readonly logger: Logger;
  readonly metrics: BusMetrics;
  /** Connection status events (disconnect, reconnect, error, …); returns the unsubscribe function. */
  onStatus(listener: (status: Status) => void): () => void;
  isConnected(): boolean;
};
