import { BlobServiceClient, type UserDelegationKey } from '@azure/storage-blob';
import { ClientSecretCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { developmentStorage } from '../../functions/config.js';
import { BlobUrlSigner, userDelegationUrl } from '../../functions/storage/blobUrls.js';

const key: UserDelegationKey = {
  signedObjectId: '11111111-1111-1111-1111-111111111111',
  signedTenantId: '22222222-2222-2222-2222-222222222222',
  signedStartsOn: new Date('2026-11-22T00:00:00Z'),
  signedExpiresOn: new Date('2026-11-22T06:00:00Z'),
  signedService: 'b',
  signedVersion: '2025-01-05',
  value: Buffer.from('a user delegation key').toString('base64'),
};
const blob = { url: 'https://acct.blob.core.windows.net/batch-inputs/uploads/x.csv', containerName: 'batch-inputs', name: 'uploads/x.csv', accountName: 'acct' };
const now = new Date('2026-11-22T01:00:00Z');

describe('short-lived blob links', () => {
  it('signs with a user delegation key: no account key, HTTPS only, for the one blob, until the TTL', () => {
    const { url, expiresAt } = userDelegationUrl(blob, key, { access: 'create', ttlSeconds: 600 }, now);
    const q = new URL(url).searchParams;
    expect(url.startsWith(`${blob.url}?`)).toBe(true);
    expect(q.get('skoid')).toBe(key.signedObjectId);
    expect(q.get('sktid')).toBe(key.signedTenantId);
    expect(q.get('sp')).toBe('c');
    expect(q.get('sr')).toBe('b');
    expect(q.get('spr')).toBe('https');
    expect(q.get('se')).toBe('2026-11-22T01:10:00Z');
    expect(expiresAt).toBe('2026-11-22T01:10:00.000Z');
    expect(q.get('sig')).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('gives upload links create alone (a new blob only), and write too only for an upload in blocks', () => {
    expect(new URL(userDelegationUrl(blob, key, { access: 'create', ttlSeconds: 600 }, now).url).searchParams.get('sp')).toBe('c');
    expect(new URL(userDelegationUrl(blob, key, { access: 'create-blocks', ttlSeconds: 600 }, now).url).searchParams.get('sp')).toBe('cw');
  });

  it('gives read links read permission alone', () => {
    const q = new URL(userDelegationUrl(blob, key, { access: 'read', ttlSeconds: 300 }, now).url).searchParams;
    expect(q.get('sp')).toBe('r');
    expect(q.get('se')).toBe('2026-11-22T01:05:00Z');
  });

  it('chooses how to sign from the storage settings: the account key with Azurite, a user delegation key with an identity', () => {
    expect(new BlobUrlSigner(BlobServiceClient.fromConnectionString(developmentStorage)).method).toBe('account-key');
    const identity = new ClientSecretCredential('t', 'c', 's');
    expect(new BlobUrlSigner(new BlobServiceClient('https://acct.blob.core.windows.net', identity)).method).toBe('user-delegation');
  });
});
