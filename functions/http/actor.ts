import type { HttpRequest } from '@azure/functions';
import { config } from '../config.js';

/** The header App Service and Container Apps authentication set to the signed-in principal's name. */
export const PRINCIPAL_HEADER = 'x-ms-client-principal-name';

/**
 * Who made an admin change, as far as the app knows: the master key (the worker is not told
 * a key's name), or, where the platform's authentication is on (TRUST_CLIENT_PRINCIPAL), the
 * principal it names. Without that authentication the header is the caller's own words.
 */
export function actor(request: HttpRequest, trusted = config().trustClientPrincipal): string {
  const principal = trusted ? request.headers.get(PRINCIPAL_HEADER)?.trim() : undefined;
  return principal || 'master key';
}
