import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';

/** Read from the files alone (it was in test/integration/security.test.ts, which starts an app it did not need). */
describe('security', () => {
  it('allows no CORS wildcard anywhere', () => {
    // Container Apps ingress sends no CORS headers without a corsPolicy: none is set.
    const bicep = readFileSync(join(appRoot, 'infra/main.bicep'), 'utf8');
    expect(bicep).toContain("resource app 'Microsoft.App/containerApps");
    expect(bicep).not.toMatch(/corsPolicy|allowedOrigins/);
    expect(readFileSync(join(appRoot, 'host.json'), 'utf8')).not.toContain('"*"');
  });
});
