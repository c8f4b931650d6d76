import { RestError, type ContainerClient } from '@azure/storage-blob';
import type { StorageAccess } from '../config.js';
import { blobService } from '../storage/clients.js';
import type { BucketCounts } from './liveCounts.js';

const HOUR_MS = 3_600_000;

/** `yyyy-mm-dd/hh` of a time (UTC): the hour a blob of counts covers. */
export const hourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 13).replace('T', '/');

/** Every hour touching [from, to). */
export function hoursBetween(from: number, to: number): number[] {
  const hours: number[] = [];
  for (let h = Math.floor(from / HOUR_MS) * HOUR_MS; h < to; h += HOUR_MS) hours.push(h);
  return hours;
}

/**
 * Monitoring counts in Blob Storage, written by each instance and merged by whoever asks:
 * `{model}/{yyyy-mm-dd}/{hh}/{version}/{instance}.json` holds one instance's one-minute
 * buckets of one version in that hour (rewritten whole at each flush: the instance owns it).
 */
export class MonitorStore {
  readonly #container: ContainerClient;
  #creating: Promise<void> | undefined;

  constructor(container: ContainerClient) {
    this.#container = container;
  }

  static connect(access: StorageAccess, name: string): MonitorStore {
    return new MonitorStore(blobService(access, { retryOptions: { maxTries: 2, tryTimeoutInMs: 10_000, retryDelayInMs: 200 } }).getContainerClient(name));
  }

  /** Writes one instance's buckets of one version and hour. */
  async write(model: string, version: string, instance: string, hour: number, buckets: BucketCounts[]): Promise<void> {
    const blob = this.#container.getBlockBlobClient(`${model}/${hourOf(hour)}/${version}/${encodeURIComponent(instance)}.json`);
    const body = JSON.stringify({ model, version, instance, buckets });
    const put = () => blob.upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    try {
      await put();
    } catch (err) {
      // The container is made on first use (and again if the storage was reset). Writes of
      // several versions fail together at first: they wait for one creation, then each retries.
      if (!(err instanceof RestError && err.statusCode === 404)) throw err;
      await this.#create();
      await put();
    }
  }

  /** Creates the container, one request at a time (createIfNotExists may be asked again later, after a reset). */
  #create(): Promise<void> {
    this.#creating ??= this.#container
      .createIfNotExists()
      .then(() => undefined)
      .finally(() => (this.#creating = undefined));
    return this.#creating;
  }

  /** Every instance's buckets of a model in [from, to), by version (each instance's list apart, for merging). */
  async read(model: string, from: number, to: number): Promise<Map<string, BucketCounts[][]>> {
    const byVersion = new Map<string, BucketCounts[][]>();
    const names: string[] = [];
    try {
      for (const hour of hoursBetween(from, to)) {
        for await (const item of this.#container.listBlobsFlat({ prefix: `${model}/${hourOf(hour)}/` })) names.push(item.name);
      }
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return byVersion;
      throw err;
    }
    const docs = await Promise.all(
      names.map(async (name) => {
        try {
          return JSON.parse((await this.#container.getBlobClient(name).downloadToBuffer()).toString('utf8')) as { version: string; buckets: BucketCounts[] };
        } catch {
          return undefined; // being rewritten, or not ours: skip it
        }
      }),
    );
    for (const doc of docs) {
      if (!doc || typeof doc.version !== 'string' || !Array.isArray(doc.buckets)) continue;
      const buckets = doc.buckets.filter((b) => b.start >= from && b.start < to);
      if (buckets.length === 0) continue;
      const lists = byVersion.get(doc.version) ?? [];
      lists.push(buckets);
      byVersion.set(doc.version, lists);
    }
    return byVersion;
  }
}
