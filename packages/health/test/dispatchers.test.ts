import { describe, expect, it } from 'vitest';
import { DispatcherCache } from '../src/executors/negotiate.js';

describe('DispatcherCache', () => {
  it('keeps one client per origin and TLS setting, and one agent per setting with redirects', async () => {
    const cache = new DispatcherCache();
    const plain = { type: 'negotiate' } as const;
    const a = cache.get(plain, 'http://192.0.2.1:80');
    expect(cache.get({ type: 'negotiate' }, 'http://192.0.2.1:80')).toBe(a);
    expect(cache.get(plain, 'http://192.0.2.2:80')).not.toBe(a);
    const tls = { type: 'negotiate', scheme: 'https', verify: false } as const;
    expect(cache.get(tls, 'https://192.0.2.1:443')).not.toBe(cache.get(plain, 'https://192.0.2.1:443'));
    const redirecting = { type: 'negotiate', redirects: 2 } as const;
    expect(cache.get(redirecting, 'http://192.0.2.1:80')).toBe(cache.get(redirecting, 'http://192.0.2.9:80'));
    await cache.close();
  });
});
