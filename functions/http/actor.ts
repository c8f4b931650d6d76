import type { HttpRequest } from '@azure/functions';

/**
 * Who made an admin change, as far as the request says: the principal App Service
 * authentication names, else the master key (the worker is not told a key's name).
 */
export function actor(request: HttpRequest): string {
  return request.headers.get('x-ms-client-principal-name') ?? 'master key';
}
