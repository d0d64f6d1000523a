import { parseCidr } from '@sluice/heartbeat';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespaceAddresses, namespaceAddresses } from '../../src/engine/addresses/namespace.js';

// The addresses control `serve --netns` uses, against a real namespace: what it adds and
// removes lands there, and what it reads is the namespace's, not this process's.
let lab: Lab;
let lb: Host;
let ifname: string;

beforeAll(async () => {
  lab = await Lab.create();
  lb = await lab.host('lb');
  const other = await lab.host('client');
  ({ aIf: ifname } = await lab.link(lb, other, { aAddrs: ['203.0.113.1/24'], bAddrs: ['203.0.113.2/24'] }));
});

afterAll(async () => {
  await lab?.destroy();
});

describe('NamespaceAddresses', () => {
  it('adds, finds present, removes and finds absent an address in the namespace', async () => {
    const control = new NamespaceAddresses(lb.netns);
    const cidr = parseCidr('203.0.113.20/24', 'address');
    expect(await control.add(ifname, cidr)).toBe('added');
    expect(await control.add(ifname, cidr)).toBe('present');
    expect((await namespaceAddresses(lb.netns)).filter((a) => a.address === '203.0.113.20')).toEqual([
      { interface: ifname, address: '203.0.113.20', prefix: 24 },
    ]);
    expect(await control.remove(ifname, cidr)).toBe('removed');
    expect(await control.remove(ifname, cidr)).toBe('absent');
    const six = parseCidr('2001:db8:7::20/64', 'address');
    expect(await control.add(ifname, six)).toBe('added');
    // No DAD: usable at once, not tentative.
    const line = (await lb.ip(['-o', '-6', 'addr', 'show', 'dev', ifname])).stdout
      .split('\n')
      .find((l) => l.includes('2001:db8:7::20/64'));
    expect(line).toBeDefined();
    expect(line).not.toContain('tentative');
  });

  it("reads the interface's index and MAC in the namespace", async () => {
    const { stdout } = await lb.ip(['-o', 'link', 'show', 'dev', ifname]);
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(stdout)?.[1] ?? '';
    const info = await new NamespaceAddresses(lb.netns).interfaceInfo(ifname);
    expect(info.mac.toString('hex')).toBe(mac.replaceAll(':', ''));
    expect(info.index).toBe(Number(/^(\d+):/.exec(stdout)?.[1]));
  });

  it('a missing interface and a bad namespace name fail with a code and the field', async () => {
    await expect(new NamespaceAddresses(lb.netns).interfaceInfo('nosuch0')).rejects.toMatchObject({
      code: 'ENGINE_APPLY_FAILED',
      field: 'interface',
    });
    expect(() => new NamespaceAddresses('a b;rm')).toThrow(
      expect.objectContaining({ code: 'ENGINE_UNAVAILABLE', field: 'netns' }),
    );
  });
});
