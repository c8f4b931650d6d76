import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { AppError, type FieldError } from '../errors.js';
import type { Feature, ModelSchema } from './modelSchema.js';
import type { ParsedRows } from './requestBody.js';
import { DATE_MESSAGE, DATETIME_MESSAGE, difftimeMessage, isDate, isDateTime, isDateTimeIn, isUtcZone } from './timeInputs.js';

/** Rows checked against a model's schema, laid out by column: what the R handler reads fastest. */
export interface ColumnBatch {
  rows: number;
  type: string;
  columns: Record<string, unknown[]>;
  /** The R call body for these rows when it is already written: a column frame (batch chunks). */
  encoded?: Buffer;
  /** The W3C traceparent of the operation these rows belong to (for telemetry). */
  traceParent?: string;
  /** Each row's id as the client sent it in "_row" (jsonlite's row names), when any did. */
  rowNames?: (string | null)[];
}

/** The member jsonlite (and httr2) write a data frame's character row names to. */
export const ROW_NAME = '_row';

/** A value the model needs that is absent or null: jsonlite drops NA fields. */
export const MISSING_MESSAGE = 'is missing or NA; this model cannot score without it';

/**
 * A row's "_row" as its name (a string, or a number as text): null for null, undefined
 * when the row has none, false when it is not a name.
 */
export function rowNameOf(row: Record<string, unknown>): string | null | undefined | false {
  if (!Object.hasOwn(row, ROW_NAME)) return undefined;
  const value = row[ROW_NAME];
  if (value === null) return null;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : false;
}

/** How a value outside a factor's training levels is refused (the monitor counts these per input). */
export const UNSEEN_LEVEL_MESSAGE = 'is not one of the levels seen in training';

const INT32_MAX = 2147483647;
export const MAX_STRING_LENGTH = 10_000;
/** The longest row name ("_row") accepted: names are echoed back, so they are kept short. */
export const MAX_ROW_NAME_LENGTH = 1000;
export const MAX_ERRORS = 100;

/** The 422 for rows that do not match a model's schema. */
export function invalidRows(bad: number, errors: FieldError[]): AppError {
  const fields = [...new Set(errors.map((e) => e.field))].filter(Boolean);
  return new AppError('invalid_input', `${bad} row(s) do not match the model's input schema${fields.length ? ` (fields: ${fields.slice(0, 10).join(', ')})` : ''}.`, { errors });
}

/** The JSON Schema of one input row of a model (as in the OpenAPI document too). */
export function rowJsonSchema(schema: ModelSchema): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  if (!schema.features.some((f) => f.name === ROW_NAME)) {
    properties[ROW_NAME] = {
      type: ['string', 'number', 'null'],
      maxLength: MAX_ROW_NAME_LENGTH,
      description: `The row's name, as jsonlite writes a data frame's row names (at most ${MAX_ROW_NAME_LENGTH} characters); given back in rowNames.`,
    };
  }
  for (const f of schema.features) properties[f.name] = featureJsonSchema(f);
  return {
    type: 'object',
    additionalProperties: false,
    required: schema.features.filter((f) => !f.nullable).map((f) => f.name),
    properties,
  };
}

export function featureJsonSchema(f: Feature): Record<string, unknown> {
  const base = ((): Record<string, unknown> => {
    switch (f.type) {
      case 'numeric':
        return { type: 'number' };
      case 'integer':
        return { type: 'integer', minimum: -INT32_MAX, maximum: INT32_MAX };
      case 'factor':
        return { type: 'string', enum: f.levels ?? [] };
      case 'logical':
        return { type: 'boolean' };
      case 'character':
        return f.levels ? { type: 'string', enum: f.levels } : { type: 'string', maxLength: MAX_STRING_LENGTH };
      case 'date':
        return { type: 'string', format: 'date', description: 'An ISO 8601 calendar date, YYYY-MM-DD (R Date).', examples: ['2024-02-15'] };
      case 'datetime':
        return {
          type: 'string',
          format: 'date-time',
          description: `An ISO 8601 date-time (R POSIXct), YYYY-MM-DDTHH:MM[:SS[.fraction]] then Z or an offset (+HH:MM, -HH:MM, +HHMM); a space may stand for the T. Without an offset the time is read in ${f.timezone ?? 'UTC'}.`,
          examples: ['2024-02-15T10:30:00Z', '2024-02-15T10:30:00-05:00'],
        };
      case 'difftime':
        return { type: 'number', description: `A time difference in ${f.units ?? 'secs'} (R difftime).` };
    }
  })();
  if (!f.nullable) return base;
  const { type, enum: levels, ...rest } = base as { type: string; enum?: string[] };
  return { ...rest, type: [type, 'null'], ...(levels ? { enum: [...levels, null] } : {}) };
}

function fieldMessage(e: ErrorObject, feature: Feature | undefined): string {
  // Whatever a date or date-time is refused for (not a string, not of the form), one message says what it takes.
  if (feature?.type === 'date' && (e.keyword === 'type' || e.keyword === 'format')) return DATE_MESSAGE;
  if (feature?.type === 'datetime' && (e.keyword === 'type' || e.keyword === 'format')) return DATETIME_MESSAGE;
  if (feature?.type === 'difftime' && e.keyword === 'type') return difftimeMessage(feature.units ?? 'secs');
  switch (e.keyword) {
    case 'type':
      if (feature?.type === 'integer') return 'must be an integer';
      if (feature?.type === 'numeric') return 'must be a number';
      if (feature?.type === 'logical') return 'must be true or false';
      if (Array.isArray(e.params.type) && e.params.type.includes('null') && feature) return `must be a ${feature.type === 'factor' || feature.type === 'character' ? 'string' : 'value'} or null`;
      return 'must be a string';
    case 'enum':
      return `${UNSEEN_LEVEL_MESSAGE}: ${(feature?.levels ?? []).join(', ')}`;
    case 'minimum':
    case 'maximum':
      return 'must be a 32-bit integer';
    case 'maxLength':
      return `must be at most ${MAX_STRING_LENGTH} characters`;
    default:
      return e.message ?? 'is not valid';
  }
}

/** One message for one mistake: a factor sent as a number is of the wrong type, not also of an unseen level. */
function onePerField(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(e.field) && (seen.add(e.field), true));
}

/** Validates rows for one model version and lays them out by column. */
export class InputValidator {
  readonly #schema: ModelSchema;
  readonly #validate: ValidateFunction;
  readonly #features: Map<string, Feature>;
  /** Date-time inputs whose times without an offset are read in a zone that may skip some (daylight saving). */
  readonly #zoned: Feature[];

  constructor(schema: ModelSchema) {
    this.#schema = schema;
    this.#features = new Map(schema.features.map((f) => [f.name, f]));
    this.#zoned = schema.features.filter((f) => f.type === 'datetime' && !isUtcZone(f.timezone ?? 'UTC'));
    // Union types: "_row" may be a string or a number.
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, coerceTypes: false, useDefaults: false });
    // The app's own forms, wider than RFC 3339's (a space for the T, optional seconds and offset).
    ajv.addFormat('date', { type: 'string', validate: isDate });
    ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
    this.#validate = ajv.compile(rowJsonSchema(schema));
  }

  /** The model's input features, in the schema's order. */
  get features(): readonly Feature[] {
    return this.#schema.features;
  }

  /** The prediction type a request means; 422 if the model does not offer it. */
  checkType(type: string | undefined): string {
    const chosen = type ?? this.#schema.output.defaultType;
    if (!Object.hasOwn(this.#schema.output.types, chosen)) {
      throw new AppError('unsupported_type', `This model offers the prediction types: ${Object.keys(this.#schema.output.types).join(', ')}.`, {
        errors: [{ field: 'type', message: 'is not offered by this model', pointer: '/type' }],
      });
    }
    return chosen;
  }

  /** Whether rows may carry a row name in "_row" (unless the model has an input of that name). */
  get acceptsRowNames(): boolean {
    return !this.#features.has(ROW_NAME);
  }

  /** The most members (columns) a row may have: the model's inputs, and "_row". */
  get maxColumns(): number {
    return this.#schema.features.length + (this.acceptsRowNames ? 1 : 0);
  }

  #unknownMembers(keys: string[], index: number, pointer: ParsedRows['pointer']): FieldError[] {
    const errors: FieldError[] = [];
    for (const field of keys) {
      if (this.#features.has(field) || (field === ROW_NAME && this.acceptsRowNames)) continue;
      errors.push({ field, row: index, message: 'is not an input of this model', pointer: pointer(index, field) });
      if (errors.length === MAX_ERRORS) break;
    }
    return errors;
  }

  /** What is wrong with one row (nothing: an empty list). A "_row" member is the row's name. */
  checkRow(row: unknown, index: number, pointer: ParsedRows['pointer']): FieldError[] {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      return [{ field: '', row: index, message: 'must be an object', pointer: pointer(index) }];
    }
    const record = row as Record<string, unknown>;
    const keys = Object.keys(record);
    // More members than the model has inputs: name the unknown ones without the schema's
    // checks, whose errors would grow with every member.
    if (keys.length > this.maxColumns) return this.#unknownMembers(keys, index, pointer);
    const errors = this.#validate(row) ? [] : onePerField((this.#validate.errors ?? []).slice(0, MAX_ERRORS).map((e) => this.#fieldError(e, record, index, pointer)));
    for (const f of this.#zoned) {
      // Of the form (or Ajv named it), yet a time the zone's clocks skip.
      const v = (row as Record<string, unknown>)[f.name];
      if (typeof v === 'string' && isDateTime(v) && !isDateTimeIn(v, f.timezone ?? 'UTC')) {
        errors.push({ field: f.name, row: index, message: DATETIME_MESSAGE, pointer: pointer(index, f.name) });
      }
    }
    return errors;
  }

  /** Checks every row and the prediction type; throws one 422 naming every bad value. */
  validate(parsed: ParsedRows): ColumnBatch {
    const type = this.checkType(parsed.type);
    const errors: FieldError[] = [];
    let bad = 0;
    let rowNames: (string | null)[] | undefined;
    for (let r = 0; r < parsed.rows.length; r++) {
      const row = parsed.rows[r];
      const rowErrors = this.checkRow(row, r, parsed.pointer);
      if (rowErrors.length === 0) {
        const name = this.acceptsRowNames ? rowNameOf(row as Record<string, unknown>) : undefined;
        if (name !== undefined && name !== false) (rowNames ??= new Array<string | null>(parsed.rows.length).fill(null))[r] = name;
        continue;
      }
      bad++;
      errors.push(...rowErrors.slice(0, Math.max(0, MAX_ERRORS - errors.length)));
    }
    if (errors.length > 0) throw invalidRows(bad, errors);
    const batch: ColumnBatch = { rows: parsed.rows.length, type, columns: this.columns(parsed.rows as Record<string, unknown>[]) };
    if (rowNames) batch.rowNames = rowNames;
    return batch;
  }

  #fieldError(e: ErrorObject, row: Record<string, unknown>, index: number, pointer: ParsedRows['pointer']): FieldError {
    let field = e.instancePath.replace(/^\//, '').replace(/~1/g, '/').replace(/~0/g, '~');
    let message: string;
    if (e.keyword === 'required') {
      field = String(e.params.missingProperty);
      message = MISSING_MESSAGE;
    } else if (field === ROW_NAME && this.acceptsRowNames) {
      message = e.keyword === 'maxLength' ? `must be at most ${MAX_ROW_NAME_LENGTH} characters (the row name)` : 'must be a string (the row name)';
    } else if (e.keyword === 'type' && row[field] === null) {
      message = MISSING_MESSAGE;
    } else if (e.keyword === 'additionalProperties') {
      field = String(e.params.additionalProperty);
      message = 'is not an input of this model';
    } else {
      message = fieldMessage(e, this.#features.get(field));
    }
    return { field, row: index, message, pointer: pointer(index, field) };
  }

  /** Valid rows laid out by column, in the schema's feature order; absent fields are null. */
  columns(rows: readonly Record<string, unknown>[]): Record<string, unknown[]> {
    const columns: Record<string, unknown[]> = {};
    for (const f of this.#schema.features) {
      const values = new Array<unknown>(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const v = (rows[r] as Record<string, unknown>)[f.name];
        values[r] = v === undefined ? null : v;
      }
      columns[f.name] = values;
    }
    return columns;
  }
}
