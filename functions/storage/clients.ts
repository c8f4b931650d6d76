import { ManagedIdentityCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, type BlobServiceClientOptions } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { StorageAccess } from '../config.js';

function credential(access: Extract<StorageAccess, { kind: 'identity' }>): TokenCredential {
  return access.clientId ? new ManagedIdentityCredential({ clientId: access.clientId }) : new DefaultAzureCredential();
}

/**
 * Blob service client from a connection string or, with no secret at all, a managed identity;
 * `options` (retries, say) go to the client's pipeline.
 */
export function blobService(access: StorageAccess, options?: BlobServiceClientOptions): BlobServiceClient {
  return access.kind === 'connectionString'
    ? BlobServiceClient.fromConnectionString(access.connectionString, options)
    : new BlobServiceClient(access.blobServiceUri, credential(access), options);
}

export function queueService(access: StorageAccess): QueueServiceClient {
  return access.kind === 'connectionString'
    ? QueueServiceClient.fromConnectionString(access.connectionString)
    : new QueueServiceClient(access.queueServiceUri, credential(access));
}
