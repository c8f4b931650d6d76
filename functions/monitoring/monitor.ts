import { isAppError } from '../errors.js';
import type { LoadedVersion } from '../models/registry.js';
import type { ModelSchema } from '../scoring/modelSchema.js';
import type { ColumnBatch } from '../scoring/inputValidator.js';
import { UNSEEN_LEVEL_MESSAGE } from '../scoring/inputValidator.js';
import type { ParsedRows } from '../scoring/requestBody.js';
import type { Telemetry } from '../telemetry.js';
import { BUCKET_MS, mergeBuckets, VersionCounts, versionReport, type BucketCounts, type VersionReport } from './liveCounts.js';
import { hoursBetween, type MonitorStore } from './monitorStore.js';
import type { PredictionLog } from './predictionLog.js';
import { comparePredictions } from './shadowCompare.js';

const HOUR_MS = 3_600_000;
/** Buckets kept in memory: the hour being written and the one before. */
const KEEP_MS = 2 * HOUR_MS;
/** Points of a report's timeline. */
const TIMELINE_POINTS = 12;

export interface MonitorOptions {
  store: MonitorStore;
  log: PredictionLog;
  instance: string;
  flushMs: number;
  psiThreshold: number;
  minRows: number;
  shadowMaxInFlight: number;
  /** Share of requests logged per model name (`*`: any model), overriding model.json's. */
  logSample: Record<string, number>;
  loadVersion(name: string, version: string): Promise<LoadedVersion>;
  /** A version's schema, undefined when it no longer exists. */
  schemaOf(name: string, version: string): Promise<ModelSchema | undefined>;
  telemetry(): Telemetry;
}

/** One scoring request answered with predictions. */
export interface Scored {
  loaded: LoadedVersion;
  parsed: ParsedRows;
  batch: ColumnBatch;
  predictions: readonly unknown[];
  latencyMs: number;
  requestId: string;
  shadow?: { version: string; percent: number } | undefined;
}

interface Entry {
  model: string;
  version: string;
  tag: string;
  /** What the counts are read against: the version's features and training profile. */
  schema: ModelSchema;
  counts: VersionCounts;
  exclude: ReadonlySet<string>;
  sample: number;
  logBatches: boolean;
}

/** A model's monitoring over a window: each version's traffic, errors, latency, drift and shadow comparison. */
export interface MonitoringReport {
  name: string;
  window: { from: string; to: string; minutes: number };
  psiThreshold: number;
  versions: ({ version: string } & VersionReport)[];
}

/**
 * What the app watches while it scores, on the request's path only as counts: per model
 * version, requests, errors, latency and each input's values against the training
 * reference (all scored rows, batches' too), the comparison with a shadow version (run
 * after the answer, bounded), and a sampled prediction log (written in the background).
 * Each instance writes its counts to storage every flushMs; a report merges every
 * instance's, and exports drift as Application Insights metrics.
 */
export class Monitor {
  readonly #o: MonitorOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #timer: NodeJS.Timeout;
  #shadowsInFlight = 0;
  #flushing: Promise<void> | undefined;
  /** Buckets from this time on are written at the next flush. */
  #unwrittenFrom = 0;

  constructor(options: MonitorOptions) {
    this.#o = options;
    this.#timer = setInterval(() => void this.flush().catch(() => undefined), options.flushMs);
    this.#timer.unref?.();
  }

  #entry(loaded: LoadedVersion): Entry {
    const key = `${loaded.name}/${loaded.version}`;
    let entry = this.#entries.get(key);
    if (!entry || entry.tag !== loaded.tag) {
      const { schema } = loaded;
      const o = this.#o.logSample;
      entry = {
        model: loaded.name,
        version: loaded.version,
        tag: loaded.tag,
        schema,
        // A version published again keeps its counts so far (the same name, the same series).
        counts: entry?.counts ?? new VersionCounts(schema.features, schema.profile),
        exclude: new Set(schema.sensitive ?? []),
        sample: o[loaded.name] ?? o['*'] ?? schema.predictionLog?.sample ?? 0,
        logBatches: schema.predictionLog?.batches === true,
      };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /** A request answered with predictions: counted; logged if sampled; shadowed if its alias says so. */
  scored(s: Scored): void {
    const now = Date.now();
    const entry = this.#entry(s.loaded);
    entry.counts.observeRequest({ latencyMs: s.latencyMs }, now);
    entry.counts.observeRows(s.batch.columns, s.batch.rows, now);
    if (entry.sample > 0 && Math.random() < entry.sample) {
      this.#o.log.add({
        model: entry.model,
        version: entry.version,
        requestId: s.requestId,
        at: new Date(now),
        latencyMs: s.latencyMs,
        source: 'http',
        columns: s.batch.columns,
        rows: s.batch.rows,
        ...(s.batch.rowNames ? { rowNames: s.batch.rowNames } : {}),
        predictions: s.predictions,
        exclude: entry.exclude,
      });
    }
    if (s.shadow && Math.random() * 100 < s.shadow.percent) this.#runShadow(entry, s, s.shadow.version);
  }

  /** A request that failed after its version was chosen: counted by code; unseen levels counted per input. */
  failed(loaded: LoadedVersion, err: unknown, latencyMs: number): void {
    const now = Date.now();
    const entry = this.#entry(loaded);
    const code = isAppError(err) ? err.code : 'internal';
    entry.counts.observeRequest({ latencyMs, code }, now);
    if (isAppError(err) && err.code === 'invalid_input') {
      const unseen = new Map<string, number>();
      for (const e of err.errors) if (e.message.startsWith(UNSEEN_LEVEL_MESSAGE)) unseen.set(e.field, (unseen.get(e.field) ?? 0) + 1);
      for (const [field, n] of unseen) entry.counts.observeUnseen(field, n, now);
    }
  }

  /** A batch chunk scored: its rows counted; logged when the model logs batches (`row`: the row's number in the batch). */
  chunkScored(loaded: LoadedVersion, chunk: { id: string; from: number; rows: number; columns: Record<string, readonly unknown[]>; rowNames?: readonly (string | null)[]; predictions: readonly unknown[]; latencyMs: number }): void {
    const now = Date.now();
    const entry = this.#entry(loaded);
    entry.counts.observeRows(chunk.columns, chunk.rows, now);
    if (!entry.logBatches || entry.sample <= 0) return;
    // Rows are sampled one by one: a chunk is many requests' worth.
    const picked: number[] = [];
    for (let r = 0; r < chunk.rows; r++) if (Math.random() < entry.sample) picked.push(r);
    if (picked.length === 0) return;
    const columns = Object.fromEntries(Object.entries(chunk.columns).map(([k, v]) => [k, picked.map((r) => v[r])]));
    this.#o.log.add({
      model: entry.model,
      version: entry.version,
      requestId: chunk.id,
      at: new Date(now),
      latencyMs: chunk.latencyMs,
      source: 'batch',
      columns,
      rows: picked.length,
      rowNumbers: picked.map((r) => chunk.from + r),
      ...(chunk.rowNames ? { rowNames: picked.map((r) => chunk.rowNames?.[r] ?? null) } : {}),
      predictions: picked.map((r) => chunk.predictions[r]),
      exclude: entry.exclude,
    });
  }

  /** Rows the log wrote or dropped, counted under their version (the log calls this). */
  logged(model: string, version: string, rows: number, dropped: number): void {
    this.#entries.get(`${model}/${version}`)?.counts.observeLog(rows, dropped, Date.now());
  }

  /**
   * Scores the same rows on the shadow version after the answer has gone, and compares.
   * At most shadowMaxInFlight at once per instance; past that the request is dropped
   * (counted), so a slow shadow cannot pile up work or memory.
   */
  #runShadow(entry: Entry, s: Scored, version: string): void {
    if (this.#shadowsInFlight >= this.#o.shadowMaxInFlight) {
      entry.counts.observeShadow(version, 'dropped', Date.now());
      return;
    }
    this.#shadowsInFlight++;
    setImmediate(() => {
      void (async () => {
        try {
          const shadow = await this.#o.loadVersion(entry.model, version);
          // Checked against the shadow's own schema, as a request to it would be.
          const batch = shadow.validator.validate({ ...s.parsed, type: s.batch.type });
          // Outside the model's call budget: a slow shadow never holds up served requests.
          const result = await shadow.pool.score(batch, { background: true });
          entry.counts.observeShadow(version, { comparison: comparePredictions(s.predictions, result.predictions) }, Date.now());
        } catch {
          entry.counts.observeShadow(version, 'failed', Date.now());
        } finally {
          this.#shadowsInFlight--;
        }
      })();
    });
  }

  /** Writes this instance's counts since the last write, one blob per version and hour, and exports drift metrics. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  /**
   * Writes everything counted until now. A write already under way may have read the
   * counts before the latest requests, so it is waited out and followed by one more.
   */
  async flushAll(): Promise<void> {
    await this.#flushing?.catch(() => undefined);
    await this.flush();
  }

  async #flush(): Promise<void> {
    const now = Date.now();
    const from = Math.floor(this.#unwrittenFrom / BUCKET_MS) * BUCKET_MS;
    const writes: Promise<void>[] = [];
    for (const e of this.#entries.values()) {
      e.counts.prune(now - KEEP_MS);
      for (const hour of hoursBetween(Math.max(from, now - KEEP_MS), now + 1)) {
        // The whole hour is written again: the blob holds this instance's hour.
        const buckets = e.counts.buckets(hour).filter((b) => b.start < hour + HOUR_MS);
        if (buckets.length > 0 && buckets.some((b) => b.start >= from)) writes.push(this.#o.store.write(e.model, e.version, this.#o.instance, hour, buckets));
      }
    }
    await Promise.all(writes);
    this.#unwrittenFrom = now;
    this.#exportMetrics(from, now);
  }

  /** Drift of the last hour on this instance, as metrics, for the versions that scored since the last flush. */
  #exportMetrics(since: number, now: number): void {
    const t = this.#o.telemetry();
    for (const e of this.#entries.values()) {
      const buckets = e.counts.buckets(now - HOUR_MS);
      if (!buckets.some((b) => b.start >= since - BUCKET_MS)) continue;
      const report = this.#report(buckets, e.schema, now - HOUR_MS, now + 1);
      const props = { model: e.model, version: e.version };
      for (const f of report.features) {
        const p = { ...props, feature: f.name };
        if (f.psi !== null) t.metric('Feature PSI', f.psi, p);
        if (f.outOfRangeShare !== null) t.metric('Out-of-range share', f.outOfRangeShare, p);
        if (f.nullShare.live !== null) t.metric('Missing share', f.nullShare.live, p);
        if (f.unseenLevelAttempts > 0) t.metric('Unseen level attempts', f.unseenLevelAttempts, p);
      }
      if (report.predictionLog.dropped > 0) t.metric('Prediction log dropped rows', report.predictionLog.dropped, props);
    }
  }

  #report(buckets: readonly BucketCounts[], schema: ModelSchema | undefined, from: number, to: number): VersionReport {
    return versionReport(buckets, schema?.features ?? [], schema?.profile, { from, to, psiThreshold: this.#o.psiThreshold, minRows: this.#o.minRows, points: TIMELINE_POINTS });
  }

  /**
   * A model's monitoring over the last `windowMs`: this instance's counts are written first,
   * then every instance's are read and merged, per version (only `only`'s, when given).
   */
  async report(name: string, only: string[] | undefined, windowMs: number): Promise<MonitoringReport> {
    await this.flushAll();
    const to = Date.now() + 1;
    const from = to - windowMs;
    const byVersion = await this.#o.store.read(name, from, to);
    const versions = only ?? [...byVersion.keys()].sort();
    const reports = await Promise.all(
      versions.map(async (v) => {
        const schema = await this.#o.schemaOf(name, v).catch(() => undefined);
        return { version: v, ...this.#report(mergeBuckets(byVersion.get(v) ?? []), schema, from, to) };
      }),
    );
    return {
      name,
      window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), minutes: Math.round(windowMs / 60_000) },
      psiThreshold: this.#o.psiThreshold,
      versions: reports,
    };
  }

  /** Stops the timer and writes what is left, within the deadline. */
  async close(deadlineMs = 2000): Promise<void> {
    clearInterval(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([Promise.allSettled([this.flushAll(), this.#o.log.close(deadlineMs)]), deadline]);
    clearTimeout(timer);
  }
}
