import type { ContainerClient } from '@azure/storage-blob';
import { isStatus } from './storageErrors.js';
import type { StorageAccess } from '../config.js';
import { blobService } from './clients.js';
import { createHash } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { modelFiles, type ModelFile } from '../models/names.js';
import { streamToBuffer } from './streams.js';
import { primaryVersion, routeOf, type AliasTarget, type TrafficRoute } from '../models/traffic.js';

/** A model's versions and aliases as stored. */
export interface ModelIndex {
  name: string;
  versions: string[];
  /** The version each alias serves (of a split alias, the heaviest). */
  aliases: Record<string, string>;
  /** Each alias's whole route: its versions by weight, and its shadow. */
  routes: Record<string, TrafficRoute>;
}

/** A stored version: which files it has and a tag that changes whenever any of them does. */
export interface StoredVersion {
  name: string;
  version: string;
  files: ModelFile[];
  tag: string;
  publishedAt: string | undefined;
}

const ALIASES = 'aliases.json';
const HISTORY = 'history.jsonl';

/**
 * One move of an alias: from one version to another (null: the alias did not exist, or was
 * removed). `from` and `to` name the version served (of a split, the heaviest); `traffic`
 * is the whole route after the move when it splits or shadows.
 */
export interface AliasMove {
  alias: string;
  from: string | null;
  to: string | null;
  traffic?: TrafficRoute;
  at: string;
  by: string;
}


/**
 * Models in Blob Storage: `{name}/{version}/model.rds`, `model.json`, optional `score.R`,
 * `{name}/aliases.json` mapping alias -> version, and `{name}/history.jsonl` (an append
 * blob), each alias move as a JSON line.
 */
export class ModelStore {
  readonly container: ContainerClient;

  constructor(container: ContainerClient) {
    this.container = container;
  }

  static fromConnectionString(connection: string, containerName: string): ModelStore {
    return ModelStore.connect({ kind: 'connectionString', connectionString: connection }, containerName);
  }

  static connect(access: StorageAccess, containerName: string): ModelStore {
    return new ModelStore(blobService(access).getContainerClient(containerName));
  }

  async ensureContainer(): Promise<void> {
    await this.container.createIfNotExists();
  }

  async listModelNames(): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const item of this.container.listBlobsByHierarchy('/')) {
        if (item.kind === 'prefix') names.push(item.name.replace(/\/$/, ''));
      }
    } catch (err) {
      if (isStatus(err, 404)) return [];
      throw err;
    }
    return names.sort();
  }

  /** The model's complete versions (those with model.rds) and its aliases, or undefined. */
  async getIndex(name: string): Promise<ModelIndex | undefined> {
    const versions = new Set<string>();
    let found = false;
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix: `${name}/` })) {
        found = true;
        const parts = blob.name.split('/');
        if (parts.length === 3 && parts[2] === 'model.rds') versions.add(parts[1] as string);
      }
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
    if (!found) return undefined;
    const { aliases, routes } = aliasesOf((await this.readAliases(name)).targets);
    return { name, versions: [...versions].sort(), aliases, routes };
  }

  async getVersion(name: string, version: string): Promise<StoredVersion | undefined> {
    const files: ModelFile[] = [];
    const tags: string[] = [];
    let publishedAt: string | undefined;
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix: `${name}/${version}/` })) {
        const file = blob.name.slice(name.length + version.length + 2) as ModelFile;
        if (!modelFiles.includes(file)) continue;
        files.push(file);
        tags.push(`${file}:${blob.properties.etag}`);
        if (file === 'model.rds') publishedAt = blob.properties.lastModified?.toISOString();
      }
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
    if (!files.includes('model.rds') || !files.includes('model.json')) return undefined;
    const tag = createHash('sha256').update(tags.sort().join('|')).digest('hex').slice(0, 16);
    return { name, version, files, tag, publishedAt };
  }

  async readText(name: string, version: string, file: ModelFile): Promise<string> {
    const buffer = await this.container.getBlobClient(`${name}/${version}/${file}`).downloadToBuffer();
    return buffer.toString('utf8');
  }

  /** Downloads a version's files into `dir` (created whole, or not at all). */
  async download(stored: StoredVersion, dir: string): Promise<void> {
    const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
    await mkdir(partial, { recursive: true });
    try {
      await Promise.all(
        stored.files.map((file) =>
          this.container.getBlobClient(`${stored.name}/${stored.version}/${file}`).downloadToFile(join(partial, file)),
        ),
      );
      await rename(partial, dir);
    } catch (err) {
      await rm(partial, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw err;
    }
  }

  /** The aliases as stored (a version name, or a route), and the blob's etag. */
  async readAliases(name: string): Promise<{ targets: Record<string, AliasTarget>; etag: string | undefined }> {
    try {
      const blob = this.container.getBlobClient(`${name}/${ALIASES}`);
      const res = await blob.download();
      const text = (await streamToBuffer(res.readableStreamBody)).toString('utf8');
      return { targets: JSON.parse(text) as Record<string, AliasTarget>, etag: res.etag };
    } catch (err) {
      if (isStatus(err, 404)) return { targets: {}, etag: undefined };
      throw err;
    }
  }

  /** Uploads one file; refuses to overwrite unless `overwrite`. Returns false if it existed. */
  async upload(name: string, version: string, file: ModelFile, content: Buffer, overwrite: boolean): Promise<boolean> {
    try {
      await this.container.getBlockBlobClient(`${name}/${version}/${file}`).uploadData(content, {
        conditions: overwrite ? {} : { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: file === 'model.json' ? 'application/json' : file === 'score.R' ? 'text/plain' : 'application/octet-stream' },
      });
      return true;
    } catch (err) {
      if (isStatus(err, 409, 412)) return false;
      throw err;
    }
  }

  async deleteFile(name: string, version: string, file: ModelFile): Promise<void> {
    await this.container.getBlobClient(`${name}/${version}/${file}`).deleteIfExists();
  }

  /**
   * Points one alias at a version, or removes it (`to` null), retrying on a concurrent change
   * (optimistic concurrency), and records the move in the model's history. The move it made.
   */
  async moveAlias(name: string, alias: string, to: AliasTarget | null, by: string): Promise<AliasMove> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const { targets, etag } = await this.readAliases(name);
      const next = { ...targets };
      if (to === null) delete next[alias];
      else next[alias] = to;
      try {
        await this.container.getBlockBlobClient(`${name}/${ALIASES}`).uploadData(Buffer.from(JSON.stringify(next, null, 2)), {
          conditions: etag ? { ifMatch: etag } : { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
      } catch (err) {
        if (!isStatus(err, 409, 412)) throw err;
        continue;
      }
      const before = routeOf(targets[alias]);
      const after = to === null ? undefined : routeOf(to);
      const move: AliasMove = { alias, from: before ? primaryVersion(before) : null, to: after ? primaryVersion(after) : null, ...(typeof to === 'object' && to !== null ? { traffic: to } : {}), at: new Date().toISOString(), by };
      const history = this.container.getAppendBlobClient(`${name}/${HISTORY}`);
      await history.createIfNotExists({ blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
      const line = `${JSON.stringify(move)}\n`;
      await history.appendBlock(line, Buffer.byteLength(line));
      return move;
    }
    throw new Error(`aliases of ${name} kept changing; try again`);
  }

  /** Every recorded alias move of a model, oldest first. */
  async readHistory(name: string): Promise<AliasMove[]> {
    try {
      const text = (await this.container.getBlobClient(`${name}/${HISTORY}`).downloadToBuffer()).toString('utf8');
      return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AliasMove);
    } catch (err) {
      if (isStatus(err, 404)) return [];
      throw err;
    }
  }

  /** Deletes a version's files, model.rds first (so that it is no longer a complete version). */
  async deleteVersion(name: string, version: string): Promise<void> {
    for (const file of [...modelFiles].reverse()) await this.deleteFile(name, version, file);
  }
}

/** Stored aliases as the versions they serve and their routes (values of neither form are skipped). */
export function aliasesOf(targets: Record<string, unknown>): { aliases: Record<string, string>; routes: Record<string, TrafficRoute> } {
  const aliases: Record<string, string> = {};
  const routes: Record<string, TrafficRoute> = {};
  for (const [alias, target] of Object.entries(targets)) {
    const route = routeOf(target);
    if (!route) continue;
    routes[alias] = route;
    aliases[alias] = primaryVersion(route);
  }
  return { aliases, routes };
}
