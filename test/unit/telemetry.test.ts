import { describe, expect, it } from 'vitest';
import { entraIdentity } from '../../functions/telemetry.js';

describe('APPLICATIONINSIGHTS_AUTHENTICATION_STRING', () => {
  it('names a user-assigned identity, as infra/main.bicep sets it', () => {
    expect(entraIdentity('Authorization=AAD;ClientId=1234-abcd')).toEqual({ clientId: '1234-abcd' });
    expect(entraIdentity('ClientId=1234-abcd; Authorization=aad')).toEqual({ clientId: '1234-abcd' });
  });

  it('means the system-assigned identity without a ClientId', () => {
    expect(entraIdentity('Authorization=AAD')).toEqual({});
  });

  it('asks for no Entra authentication when empty or not AAD', () => {
    expect(entraIdentity('')).toBeUndefined();
    expect(entraIdentity('ClientId=1234')).toBeUndefined();
  });
});
