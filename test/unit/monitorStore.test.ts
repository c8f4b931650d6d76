import { RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { MonitorStore } from '../../functions/monitoring/monitorStore.js';

/** A container that does not exist until created, and whose uploads answer 404 until then. */
function missingContainer() {
  let exists = false;
  let creations = 0;
  const container = {
    getBlockBlobClient: () => ({
      upload: async () => {
        await new Promise((r) => setImmediate(r));
        if (!exists) throw new RestError('The specified container does not exist.', { statusCode: 404 });
        return {};
      },
    }),
    createIfNotExists: async () => {
      creations++;
      await new Promise((r) => setTimeout(r, 5));
      exists = true;
      return {};
    },
  };
  return { container, creations: () => creations, reset: () => (exists = false) };
}

describe('MonitorStore', () => {
  it('writes several versions at once into a container that does not exist yet, creating it once', async () => {
    const c = missingContainer();
    const store = new MonitorStore(c.container as never);
    await Promise.all(['1', '2', '3', '4'].map((v) => store.write('m', v, 'i', Date.now(), [])));
    expect(c.creations()).toBe(1);
  });

  it('creates the container again once the storage was reset', async () => {
    const c = missingContainer();
    const store = new MonitorStore(c.container as never);
    await store.write('m', '1', 'i', Date.now(), []);
    c.reset();
    await store.write('m', '1', 'i', Date.now(), []);
    expect(c.creations()).toBe(2);
  });
});
