import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkedScreenshots } from '../../scripts/gallery.mjs';

// The README's gallery is tracked in docs/screenshots (copied there by `npm run gallery`);
// the tests write theirs to build/screenshots. A link to a picture nobody copied, or a
// picture nothing links, is a broken or stale gallery.
describe("the README's screenshot gallery", () => {
  it('links exactly the pictures docs/screenshots holds', async () => {
    const linked = await linkedScreenshots();
    const held = (await readdir(join(import.meta.dirname, '..', '..', 'docs', 'screenshots'))).sort();
    expect(linked.length).toBeGreaterThan(30);
    expect([...linked].sort()).toEqual(held);
  });
});
