/** The shapes of the API's answers the console reads (see README.md, "The scoring API"). */

// The app's own pure types, shared rather than restated (type-only: nothing of them is bundled).
import type { Feature, FeatureType, OutputType as SchemaOutputType } from '../../functions/scoring/modelSchema.js';
import type { VersionReport as AppVersionReport } from '../../functions/monitoring/liveCounts.js';
import type { TrafficRoute } from '../../functions/models/traffic.js';
import type { AliasMove as AppAliasMove } from '../../functions/storage/modelStore.js';
import type { BatchStatus as AppBatchStatus } from '../../functions/batch/batchState.js';

export type { Feature, FeatureType, TrafficRoute };
export type { BinReport, FeatureReport, ShadowReport, TimelinePoint } from '../../functions/monitoring/liveCounts.js';

/** GET /api/models: one entry of `models`. */
export interface ModelSummary {
  name: string;
  versions: string[];
  /** The version each alias serves (of a split, the heaviest). */
  aliases: Record<string, string>;
  /** Split or shadowed aliases, in full. */
  traffic: Record<string, TrafficRoute>;
  defaultVersion: string | null;
}

export type OutputType = Omit<SchemaOutputType, 'call'>;

/** GET /api/models/{name}/versions/{version}. */
export interface VersionDescription {
  name: string;
  version: string;
  aliases: string[];
  publishedAt: string | null;
  customScore: boolean;
  features: Feature[];
  predictionTypes: Record<string, OutputType>;
  defaultType: string;
  packages: string[];
  exampleRequest: { data: Record<string, unknown>[] };
}

/** POST .../score: 200. */
export interface ScoreAnswer {
  model: { name: string; version: string };
  type: string;
  predictions: unknown[];
  requestId: string;
}

export interface FieldError {
  field: string;
  message: string;
  row?: number;
  pointer?: string;
}

/** application/problem+json (RFC 9457) as the app writes it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  requestId?: string;
  errors?: FieldError[];
}

/** PUT /api/models/{name}/aliases/{alias}: 200, the app's record of the move with the model's name. */
export interface AliasMove extends AppAliasMove {
  name: string;
}

export type { BatchState } from '../../functions/batch/batchState.js';

/** GET /api/batches/{id}?redirect=false, and each entry of GET /api/batches: the app's status with its links. */
export interface BatchStatus extends AppBatchStatus {
  links: { self: string; results: string; download?: string };
}

/** One version in GET /api/models/{name}/monitoring. */
export type VersionReport = AppVersionReport & { version: string };

/** GET /api/models/{name}/monitoring. */
export interface MonitoringReport {
  name: string;
  window: { from: string; to: string; minutes: number };
  psiThreshold: number;
  versions: VersionReport[];
  aliases: Record<string, string>;
  traffic: Record<string, TrafficRoute>;
}
