import { AppError, type FieldError } from '../errors.js';

/**
 * The parts of a publish request (PUT /api/models/{name}/versions/{version}, multipart/form-data)
 * and what is wrong with a form's parts: a part no one reads (`models` for `model`), a file
 * sent as text (`-F model=model.rds` without the `@`), a file missing. Every problem is named
 * in one answer. Pure: no I/O here.
 */
export const PUBLISH_FILES = ['model', 'prototype', 'score'] as const;
export const PUBLISH_FIELDS = ['response', 'types', 'aliases', 'logSample', 'logBatches', 'sensitive'] as const;
const REQUIRED_FILES = ['model', 'prototype'] as const;
const KNOWN: ReadonlySet<string> = new Set([...PUBLISH_FILES, ...PUBLISH_FIELDS]);

const quoted = (names: readonly string[]): string => {
  const q = names.map((n) => `'${n}'`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
};
const PARTS_LIST = `the parts are the files 'model', 'prototype' and, optionally, 'score', and the fields ${quoted(PUBLISH_FIELDS)}`;

/** The 400 for a publish form's parts, or undefined when they are right. */
export function publishPartsProblem(form: FormData): AppError | undefined {
  const sentences: string[] = [];
  const errors: FieldError[] = [];
  const unknown = [...new Set(form.keys())].filter((name) => !KNOWN.has(name));
  if (unknown.length) {
    sentences.push(`${unknown.length === 1 ? 'The part' : 'The parts'} ${quoted(unknown)} ${unknown.length === 1 ? 'is' : 'are'} unknown: ${PARTS_LIST}.`);
    for (const field of unknown) errors.push({ field, message: 'is not a part of a publish request', pointer: `/${field}` });
  }
  const textFiles = PUBLISH_FILES.filter((name) => typeof form.get(name) === 'string');
  if (textFiles.length) {
    sentences.push(`${textFiles.length === 1 ? 'The part' : 'The parts'} ${quoted(textFiles)} must be ${textFiles.length === 1 ? 'a file' : 'files'}, sent as curl -F ${textFiles[0]}=@path sends one (with the @).`);
    for (const field of textFiles) errors.push({ field, message: 'must be a file, not text', pointer: `/${field}` });
  }
  const missing = REQUIRED_FILES.filter((name) => !form.has(name));
  if (missing.length) {
    sentences.push(`${missing.length === 1 ? 'The file' : 'The files'} ${quoted(missing)} ${missing.length === 1 ? 'is' : 'are'} needed.`);
    for (const field of missing) errors.push({ field, message: 'is a required file', pointer: `/${field}` });
  }
  return sentences.length ? new AppError('invalid_request', sentences.join(' '), { errors }) : undefined;
}
