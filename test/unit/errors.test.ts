import { describe, expect, it } from 'vitest';
import { AppError, errorCodes, problemResponse } from '../../functions/errors.js';

describe('problemResponse', () => {
  it('maps an AppError to RFC 9457 problem+json with its code, status and field errors', () => {
    const res = problemResponse(
      new AppError('invalid_input', '1 row(s) do not match', { errors: [{ field: 'x', row: 0, message: 'must be a number', pointer: '/data/0/x' }] }),
      { instance: '/api/score', requestId: 'abc-1', model: { name: 'boston-rf', version: '1' } },
    );
    expect(res.status).toBe(422);
    expect(res.headers).toEqual({ 'content-type': 'application/problem+json' });
    expect(JSON.parse(res.body as string)).toEqual({
      type: 'urn:r-scoring:error:invalid_input',
      title: 'Invalid input',
      status: 422,
      code: 'invalid_input',
      detail: '1 row(s) do not match',
      instance: '/api/score',
      requestId: 'abc-1',
      model: { name: 'boston-rf', version: '1' },
      errors: [{ field: 'x', row: 0, message: 'must be a number', pointer: '/data/0/x' }],
    });
  });

  it('adds Retry-After when the error suggests one', () => {
    const res = problemResponse(new AppError('overloaded', 'busy', { retryAfter: 2 }));
    expect([res.status, (res.headers as Record<string, string>)['retry-after']]).toEqual([503, '2']);
  });

  it('turns an unknown error into a 500 that reveals nothing', () => {
    const res = problemResponse(new TypeError('secret path /etc/x at line 4'));
    expect(res.status).toBe(500);
    expect(res.body).not.toMatch(/secret|etc|TypeError/);
    expect(JSON.parse(res.body as string).code).toBe('internal');
  });

  it("keeps R's own message out of the detail unless asked to show it", () => {
    const err = new AppError('prediction_failed', 'The model could not score these rows.', { rMessage: 'hp must be positive' });
    expect(JSON.parse(problemResponse(err).body as string).detail).toBe('The model could not score these rows.');
    expect(problemResponse(err).body).not.toMatch(/positive/);
    expect(JSON.parse(problemResponse(err, { showRMessage: true }).body as string).detail).toBe('The model could not score these rows. R said: hp must be positive');
  });

  it('has a 4xx or 5xx status for every code', () => {
    for (const [code, { status }] of Object.entries(errorCodes)) expect(status, code).toBeGreaterThanOrEqual(400);
  });
});

describe('the README', () => {
  it('lists every error code the app answers with, at its status', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { appRoot } = await import('../../functions/paths.js');
    const { errorCodes } = await import('../../functions/errors.js');
    const readme = readFileSync(join(appRoot, 'README.md'), 'utf8');
    const rows = readme.split('\n').filter((l) => /^\| \d{3} \|/.test(l));
    for (const [code, { status }] of Object.entries(errorCodes)) {
      expect(rows.some((r) => r.startsWith(`| ${status} |`) && r.includes(`\`${code}\``)), code).toBe(true);
    }
  });
});
