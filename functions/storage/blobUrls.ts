import {
  BlobSASPermissions,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
  type BlobServiceClient,
  type BlockBlobClient,
  type UserDelegationKey,
} from '@azure/storage-blob';

/**
 * What a short-lived link to one blob lets its holder do: `read`; `create`, a blob that
 * does not exist yet, in one Put Blob (up to 5000 MiB), and nothing once it exists;
 * `create-blocks`, also Put Block and Put Block List, which need write permission, so that
 * link can also replace the blob while it lasts.
 */
export type BlobAccess = 'read' | 'create' | 'create-blocks';

export interface SignedUrl {
  url: string;
  expiresAt: string;
}

export interface UrlOptions {
  access: BlobAccess;
  ttlSeconds: number;
  /** For reads: the Content-Disposition the download is served with. */
  contentDisposition?: string;
}

/** Clock skew allowed between this instance and Blob Storage. */
const SKEW_MS = 5 * 60_000;
/** A user delegation key is asked for this long and renewed an hour before it ends. */
const DELEGATION_KEY_MS = 6 * 3_600_000;

const PERMISSIONS: Record<BlobAccess, string> = { read: 'r', create: 'c', 'create-blocks': 'cw' };

/** read: `r`; create: `c` (a new blob only); create-blocks: `cw` (Put Block and Put Block List need `w`). */
const permissionsOf = (access: BlobAccess) => BlobSASPermissions.parse(PERMISSIONS[access]);

/**
 * A SAS URL for one blob signed with a user delegation key: the identity that asked for the
 * key (the app's managed identity) vouches for it, and no account key exists or is needed.
 * HTTPS only. Pure: the key and the clock are given.
 */
export function userDelegationUrl(blob: { url: string; containerName: string; name: string; accountName: string }, key: UserDelegationKey, options: UrlOptions, now: Date): SignedUrl {
  const expiresOn = new Date(now.getTime() + options.ttlSeconds * 1000);
  const sas = generateBlobSASQueryParameters(
    {
      containerName: blob.containerName,
      blobName: blob.name,
      permissions: permissionsOf(options.access),
      startsOn: new Date(now.getTime() - SKEW_MS),
      expiresOn,
      protocol: SASProtocol.Https,
      ...(options.contentDisposition ? { contentDisposition: options.contentDisposition } : {}),
    },
    key,
    blob.accountName,
  );
  return { url: `${blob.url}?${sas.toString()}`, expiresAt: expiresOn.toISOString() };
}

/**
 * Signs short-lived links to single blobs (the valet key pattern), the way the storage
 * settings allow: with a user delegation key when the app reaches storage by identity (in
 * Azure: no account key anywhere), with the account key when a connection string carries
 * one (Azurite, locally, which accepts those and has no user delegation keys).
 */
export class BlobUrlSigner {
  readonly #service: BlobServiceClient;
  #key: { value: Promise<UserDelegationKey>; renewAt: number } | undefined;

  constructor(service: BlobServiceClient) {
    this.#service = service;
  }

  /** How links are signed here: `account-key` or `user-delegation`. */
  get method(): 'account-key' | 'user-delegation' {
    return this.#service.credential instanceof StorageSharedKeyCredential ? 'account-key' : 'user-delegation';
  }

  async url(blob: BlockBlobClient, options: UrlOptions): Promise<SignedUrl> {
    const now = new Date();
    if (this.method === 'account-key') {
      const expiresOn = new Date(now.getTime() + options.ttlSeconds * 1000);
      const url = await blob.generateSasUrl({
        permissions: permissionsOf(options.access),
        startsOn: new Date(now.getTime() - SKEW_MS),
        expiresOn,
        ...(options.contentDisposition ? { contentDisposition: options.contentDisposition } : {}),
      });
      return { url, expiresAt: expiresOn.toISOString() };
    }
    const key = await this.#delegationKey(now);
    return userDelegationUrl({ url: blob.url, containerName: blob.containerName, name: blob.name, accountName: blob.accountName }, key, options, now);
  }

  #delegationKey(now: Date): Promise<UserDelegationKey> {
    if (!this.#key || now.getTime() >= this.#key.renewAt) {
      const value = this.#service.getUserDelegationKey(new Date(now.getTime() - SKEW_MS), new Date(now.getTime() + DELEGATION_KEY_MS));
      this.#key = { value, renewAt: now.getTime() + DELEGATION_KEY_MS - 3_600_000 };
      value.catch(() => (this.#key = undefined));
    }
    return this.#key.value;
  }
}
