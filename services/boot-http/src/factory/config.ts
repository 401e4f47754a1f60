import { byteSize } from '@metalbus/config';
import { z } from 'zod';

export { parseByteSize } from '@metalbus/config';

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .transform((u) => u.replace(/\/+$/, ''));

/** Config fragment for the Image Factory client and its read-through cache (merged by the lead). */
export const factoryConfigShape = {
  FACTORY_URL: httpUrl
    .default('https://factory.talos.dev')
    .describe('Image Factory base URL: POST /schematics and GET /image/<id>/<version>/<file> (redirects followed).'),
  FACTORY_PXE_URL: httpUrl
    .default('https://pxe.factory.talos.dev')
    .describe('Image Factory PXE base URL: GET /pxe/<id>/<version>/metal-<arch>[-secureboot] (the iPXE script).'),
  CACHE_DIR: z
    .string()
    .min(1)
    .default('/var/cache/metalbus/factory')
    .describe('Directory of the on-disk Image Factory asset cache (replica-local; safe to delete while stopped).'),
  CACHE_MAX_BYTES: byteSize(10 * 1024 ** 3, { positive: true }).describe(
    'Size cap of CACHE_DIR; least recently used assets are evicted above it. Bytes, or e.g. 20GiB.',
  ),
  FACTORY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Timeout for schematic creation and PXE script fetches from the Image Factory, in milliseconds.'),
  FACTORY_MAX_DOWNLOADS: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(4)
    .describe(
      'Image downloads from the Image Factory running at once. Requests for other cold images wait for a slot ' +
        '(FACTORY_DOWNLOAD_QUEUE); requests for an image already downloading join it and need no slot.',
    ),
  FACTORY_DOWNLOAD_QUEUE: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(32)
    .describe(
      'Cold images waiting for a download slot; a request for one more is answered 503 (retry later). ' +
        'Counts images, not requests.',
    ),
  FACTORY_FAILURE_TTL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(10_000)
    .describe(
      'How long a failed image download is remembered, in milliseconds: requests for that image meanwhile get the ' +
        'same 502 without another upstream fetch. 0: every request retries the upstream.',
    ),
  FACTORY_IMAGE_IDLE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(120_000)
    .describe(
      'Image downloads: longest wait for the response headers and between body chunks, in milliseconds ' +
        '(the factory builds a cold asset before answering, which can take a minute).',
    ),
};

export const factoryConfigSchema = z.object(factoryConfigShape);
export type FactoryConfig = z.output<typeof factoryConfigSchema>;
