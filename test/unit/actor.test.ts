import * as functions from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../functions/config.js';
import { actor } from '../../functions/http/actor.js';

const { HttpRequest } = functions;
const request = (headers: Record<string, string>) => new HttpRequest({ method: 'PUT', url: 'http://127.0.0.1/api/models/m/aliases/prod', headers });

describe('actor', () => {
  it("records the master key, not a name the caller wrote, without the platform's authentication", () => {
    expect(actor(request({ 'x-ms-client-principal-name': 'someone-else@example.com' }), false)).toBe('master key');
    expect(actor(request({}), false)).toBe('master key');
  });

  it('names the principal the platform set when its authentication is trusted', () => {
    expect(actor(request({ 'x-ms-client-principal-name': 'ana@example.com' }), true)).toBe('ana@example.com');
    expect(actor(request({ 'x-ms-client-principal-name': ' ' }), true)).toBe('master key');
  });

  it('trusts the header only when TRUST_CLIENT_PRINCIPAL says so', () => {
    const env = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
    expect(readConfig(env).trustClientPrincipal).toBe(false);
    expect(readConfig({ ...env, TRUST_CLIENT_PRINCIPAL: 'true' }).trustClientPrincipal).toBe(true);
  });
});
