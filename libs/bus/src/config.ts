import { path, text } from '@metalbus/config';
import { z } from 'zod';

export const NAMESPACE_RE = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The NATS part of every service's env schema; keys are the env var names. Merge it into a service schema with
 * `z.object({ ...busConfigSchema.shape, ... })`. At most one auth method may be set (checked by connectBus).
 */
export const busConfigSchema = z.object({
  NATS_URL: text()
    .default('nats://127.0.0.1:4222')
    .describe('NATS server URL(s), comma-separated (nats://host:4222, tls://host:4222).'),
  NATS_USER: text().optional().describe('User name for user/password auth (with NATS_PASSWORD).'),
  NATS_PASSWORD: text().optional().describe('Password for user/password auth.'),
  NATS_TOKEN: text().optional().describe('Token auth.'),
  NATS_NKEY_SEED: text().optional().describe('NKey user seed (SU…) for nkey auth.'),
  NATS_CREDS_FILE: path().optional().describe('Path of a .creds file (JWT + nkey seed) for decentralised auth.'),
  NATS_TLS_CA: path().optional().describe('PEM file of the CA that signed the server certificate.'),
  NATS_TLS_CERT: path().optional().describe('PEM client certificate for mutual TLS (with NATS_TLS_KEY).'),
  NATS_TLS_KEY: path().optional().describe('PEM private key of NATS_TLS_CERT.'),
  NATS_NAMESPACE: z
    .string()
    .regex(NAMESPACE_RE)
    .meta({ expected: '1-32 letters, digits, _ or -' })
    .optional()
    .describe('Prefix isolating stream, subjects and buckets (tests sharing one server). Unset: the real names.'),
});

export type BusConfig = z.infer<typeof busConfigSchema>;
