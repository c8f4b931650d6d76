import { describe, expect, it } from 'vitest';
import { readConfig } from '../../functions/config.js';

describe('readConfig', () => {
  it('defaults the R executable to Rscript on the PATH', () => {
    expect(readConfig({}).rscript).toBe('Rscript');
  });

  it('takes R_SCRIPT when set', () => {
    expect(readConfig({ R_SCRIPT: '/opt/R/bin/Rscript' }).rscript).toBe('/opt/R/bin/Rscript');
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(readConfig({}))).toBe(true);
  });
});
