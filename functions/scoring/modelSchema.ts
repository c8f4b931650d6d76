/** The input schema a model ships as model.json (written by r-handler/describe.R). */
import { readProfile, type ReferenceProfile } from '../monitoring/profile.js';
import { isDifftimeUnits, type DifftimeUnits } from './timeInputs.js';

/** An input's type: R's numbers, integers, factors, logicals, strings, Date ("date"), POSIXct ("datetime") and difftime. */
export type FeatureType = 'numeric' | 'integer' | 'factor' | 'logical' | 'character' | 'date' | 'datetime' | 'difftime';

export interface Feature {
  name: string;
  type: FeatureType;
  /** A factor's levels; a character input's training values when the model took it as a category. */
  levels?: string[];
  ordered?: boolean;
  nullable?: boolean;
  /** The range seen in training: numbers; for a date "YYYY-MM-DD", for a date-time an ISO string in UTC. */
  min?: number | string;
  max?: number | string;
  /** A date-time's time zone (R's tzone): times without an offset are read in it. */
  timezone?: string;
  /** A difftime's units: values are numbers in them. */
  units?: DifftimeUnits;
}

export interface OutputType {
  /** numbers, class labels, logicals, class probabilities, or other named numbers per row. */
  kind: 'numeric' | 'class' | 'probabilities' | 'logical' | 'values';
  /** The classes (of probabilities, or the levels of class labels). */
  classes?: string[];
  /** The names of a "values" output's numbers. */
  columns?: string[];
  /** How R's predict() is called for this type: its `type` argument (null: none), and the list member read. */
  call?: { type: string | null; field?: string };
}

export interface ModelSchema {
  schemaVersion: number;
  modelClass?: string[];
  packages?: string[];
  features: Feature[];
  output: { defaultType: string; types: Record<string, OutputType> };
  example?: Record<string, unknown>;
  /** false when rows must not be scored together with other requests' rows. */
  microBatch?: boolean;
  /** The prototype's inputs, for input drift (see monitoring/profile.ts). */
  profile?: ReferenceProfile;
  /** Log this share of requests (and, with `batches`, of batch rows) to the prediction log; absent: off. */
  predictionLog?: { sample: number; batches: boolean };
  /** Inputs never written to the prediction log. */
  sensitive?: string[];
}

const featureTypes: readonly FeatureType[] = ['numeric', 'integer', 'factor', 'logical', 'character', 'date', 'datetime', 'difftime'];

/** A training range bound as model.json holds it: a number, or for dates and date-times a string. */
const bound = (v: unknown, type: FeatureType): number | string | undefined =>
  type === 'date' || type === 'datetime' ? (typeof v === 'string' ? v : undefined) : typeof v === 'number' ? v : undefined;

function asStringArray(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.map(String);
}

/** A value R's JSON writer may have left boxed in a one-element array. */
const scalar = (v: unknown): unknown => (Array.isArray(v) && v.length === 1 ? v[0] : v);

/**
 * Reads model.json text into a ModelSchema, normalising what R's JSON writer may unbox (a
 * one-element array written as a scalar). Throws an Error naming the first problem.
 */
export function parseModelSchema(text: string): ModelSchema {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (!Array.isArray(raw.features) || raw.features.length === 0) throw new Error('model.json has no features');
  const features = (raw.features as Record<string, unknown>[]).map((f, i): Feature => {
    if (typeof f.name !== 'string' || f.name === '') throw new Error(`model.json feature ${i} has no name`);
    if (!featureTypes.includes(f.type as FeatureType)) throw new Error(`model.json feature ${f.name} has an unknown type`);
    const feature: Feature = { name: f.name, type: f.type as FeatureType, nullable: f.nullable === true };
    const levels = asStringArray(f.levels);
    if (feature.type === 'factor') {
      if (!levels || levels.length === 0) throw new Error(`model.json factor ${f.name} has no levels`);
      feature.levels = levels;
      if (f.ordered === true) feature.ordered = true;
    } else if (feature.type === 'character' && levels && levels.length > 0) {
      feature.levels = levels;
    }
    if (feature.type === 'datetime') {
      const timezone = scalar(f.timezone);
      feature.timezone = typeof timezone === 'string' && timezone !== '' ? timezone : 'UTC';
    }
    if (feature.type === 'difftime') {
      const units = scalar(f.units);
      if (!isDifftimeUnits(units)) throw new Error(`model.json difftime ${f.name} has no units (secs, mins, hours, days or weeks)`);
      feature.units = units;
    }
    const min = bound(f.min, feature.type);
    const max = bound(f.max, feature.type);
    if (min !== undefined) feature.min = min;
    if (max !== undefined) feature.max = max;
    return feature;
  });
  const output = (raw.output ?? {}) as { defaultType?: unknown; types?: Record<string, Record<string, unknown>> };
  const types: Record<string, OutputType> = {};
  for (const [name, t] of Object.entries(output.types ?? {})) {
    const out: OutputType = { kind: (t.kind as OutputType['kind']) ?? 'numeric' };
    const classes = asStringArray(t.classes);
    if (classes) out.classes = classes;
    const columns = asStringArray(t.columns);
    if (columns) out.columns = columns;
    const call = t.call as { type?: unknown; field?: unknown } | undefined;
    if (call && typeof call === 'object') {
      out.call = { type: typeof call.type === 'string' ? call.type : null, ...(typeof call.field === 'string' ? { field: call.field } : {}) };
    }
    types[name] = out;
  }
  const defaultType = typeof output.defaultType === 'string' ? output.defaultType : (Object.keys(types)[0] ?? 'response');
  if (Object.keys(types).length === 0) types[defaultType] = { kind: 'numeric' };
  const schema: ModelSchema = {
    schemaVersion: typeof raw.schemaVersion === 'number' ? raw.schemaVersion : 1,
    features,
    output: { defaultType, types },
  };
  const modelClass = asStringArray(raw.modelClass);
  if (modelClass) schema.modelClass = modelClass;
  const packages = asStringArray(raw.packages);
  if (packages) schema.packages = packages;
  if (raw.example && typeof raw.example === 'object') schema.example = raw.example as Record<string, unknown>;
  if (raw.microBatch === false) schema.microBatch = false;
  const profile = readProfile(raw.profile);
  if (profile) schema.profile = profile;
  const log = raw.predictionLog as { sample?: unknown; batches?: unknown } | undefined;
  if (log && typeof log === 'object' && typeof log.sample === 'number' && log.sample >= 0 && log.sample <= 1) {
    schema.predictionLog = { sample: log.sample, batches: log.batches === true };
  }
  const sensitive = asStringArray(raw.sensitive);
  if (sensitive) {
    const unknown = sensitive.filter((n) => !features.some((f) => f.name === n));
    if (unknown.length > 0) throw new Error(`model.json marks as sensitive what is not an input: ${unknown.join(', ')}`);
    schema.sensitive = sensitive;
  }
  return schema;
}
