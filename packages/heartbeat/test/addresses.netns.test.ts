import { fileURLToPath } from 'node:url';
import { Lab } from '@sluice/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/stale-interface.mjs', import.meta.url));

let lab: Lab | undefined;
afterEach(async () => {
  await lab?.destroy();
  lab = undefined;
});

describe('RtnetlinkAddresses (real rtnetlink in a namespace)', () => {
  it('an interface recreated under a cached index is read again; forty addresses added at once share one dump', async () => {
    lab = await Lab.create();
    const host = await lab.host('lb');
    const { stdout } = await host.exec(process.execPath, [FIXTURE]);
    expect(JSON.parse(stdout.trim())).toEqual({
      first: 'added',
      second: 'added',
      removed: 'removed',
      again: 'added',
      held: ['192.0.2.52/24'],
      many: ['added'],
      count: 41,
    });
  });
});
