import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootSystem, type SystemHandle } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The appliance's own network applied for real: the .deb on Debian 12 with systemd, the
// settings file saying SLUICE_HOST_NETWORK=manage, systemd-networkd, resolved and
// timesyncd doing what the written files say. The interface is a dummy of the test's own
// (made by a .netdev, so networkd makes it again after it is deleted), never the host's.

const APP = join(import.meta.dirname, '..', '..');
const API = 'http://127.0.0.1:9080/api/v1';
// Long enough for a few commands in a slow UML guest on a busy machine before the confirmation.
const CONFIRM_SECONDS = 60;

let work: string;
let system: SystemHandle;

const sh = async (script: string, timeoutMs = 120_000) => (await system.check(script, { timeoutMs })).stdout.trim();
const api = (method: string, path: string, body?: unknown) =>
  sh(
    `curl -sS -X ${method} -H "authorization: Bearer $(cat /var/lib/sluice/cli.token)" -H 'content-type: application/json' ${
      body === undefined ? '' : `--data '${JSON.stringify(body)}'`
    } '${API}${path}'`,
  );
const version = async () => JSON.parse(await api('GET', '/config')).version as number;
/** Waits (polling, not timing anything) until the host network has applied `v`. */
const applied = (v: number, tries = 120) =>
  sh(
    `for i in $(seq 1 ${tries}); do curl -s -H "authorization: Bearer $(cat /var/lib/sluice/cli.token)" ${API}/network/status | grep -q '"appliedVersion":${v},' && break; sleep 0.5; done`,
    300_000,
  );
const waitActive = () =>
  sh(
    'for i in $(seq 1 480); do s=$(systemctl is-active sluice); [ "$s" = active ] && break; [ "$s" = failed ] && break; sleep 0.5; done; systemctl is-active sluice',
    300_000,
  );

const NETWORK = {
  interfaces: [{ name: 'eth1', addresses: ['192.0.2.21/24', '2001:db8::21/64'] }],
  defaultGateway: { ipv4: '192.0.2.1' },
  routes: [{ destination: '198.51.100.0/24', gateway: '192.0.2.254', metric: 50 }],
  dns: { servers: ['192.0.2.53'], searchDomains: ['example.com'] },
  hostname: 'lb1',
  ntpServers: ['192.0.2.123'],
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sluice-host-network-'));
  execFileSync(process.execPath, [join(APP, 'scripts', 'package-deb.mjs'), '--version', '0.0.1', '--out', work], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  system = await bootSystem({ debs: [join(work, 'sluice-appliance_0.0.1_amd64.deb')], memoryMiB: 1536 });
  await sh(`
    set -e
    printf '[NetDev]\\nName=eth1\\nKind=dummy\\n' > /etc/systemd/network/05-test-eth1.netdev
    systemctl enable --now systemd-networkd systemd-resolved systemd-timesyncd
    for i in $(seq 1 60); do ip link show eth1 >/dev/null 2>&1 && break; sleep 0.5; done
    ip link show eth1
  `);
  // Slow in UML (a 117 MB package): minutes on a busy machine.
  await sh(
    'cd /testkit/files && apt-get install -y --no-install-recommends ./sluice-appliance_0.0.1_amd64.deb',
    600_000,
  );
  expect(await waitActive()).toBe('active');
  await sh(
    `printf 'SLUICE_HOST_NETWORK=manage\\nSLUICE_NETWORK_CONFIRM_SECONDS=${CONFIRM_SECONDS}\\n' >> /etc/default/sluice; systemctl restart sluice`,
    300_000,
  );
  expect(await waitActive()).toBe('active');
}, 1_200_000);

afterAll(async () => {
  await system?.shutdown();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the host network on Debian 12 with systemd-networkd', () => {
  it('applies addresses, a route, the gateway, DNS, NTP and the host name set through the API', async () => {
    expect(JSON.parse(await api('GET', '/network/status'))).toMatchObject({ managed: true, state: 'applied' });
    const put = JSON.parse(await api('PUT', `/network?version=${await version()}`, NETWORK));
    await applied(put.version);
    // The whole status on a failure: its detail says what the host refused.
    expect(JSON.parse(await api('GET', '/network/status'))).toMatchObject({
      state: 'applied',
      appliedVersion: put.version,
      trial: { version: put.version },
    });
    expect(await sh('ls /etc/systemd/network')).toBe('05-test-eth1.netdev\n10-sluice-eth1.network');
    // Confirmed at once, as an admin would once the new address answers.
    expect(JSON.parse(await api('POST', '/network/confirm')).trial).toBeUndefined();
    // networkd configures the link in its own time after `networkctl reconfigure`.
    await sh(
      'for i in $(seq 1 60); do ip -o addr show dev eth1 | grep -q "inet 192.0.2.21/" && ip route | grep -q 198.51.100.0 && break; sleep 1; done',
      300_000,
    );
    // What networkd says of the link, shown when the checks below fail.
    const networkd = await sh(
      'networkctl status eth1 --no-pager -n 30 2>&1; ls -l /etc/systemd/network; journalctl -u systemd-networkd --no-pager -n 30 -o cat',
    );

    expect(await sh('ip -o addr show dev eth1'), networkd).toMatch(/inet 192\.0\.2\.21\/24 .*inet6 2001:db8::21\/64/s);
    const routes = await sh('ip route show');
    expect(routes).toContain('default via 192.0.2.1 dev eth1');
    expect(routes).toContain('198.51.100.0/24 via 192.0.2.254 dev eth1');
    expect(await sh('resolvectl dns')).toContain('Global: 192.0.2.53');
    expect(await sh('resolvectl domain')).toContain('Global: example.com');
    expect(await sh('hostname')).toBe('lb1');
    expect(await sh('cat /etc/systemd/timesyncd.conf.d/50-sluice.conf')).toContain('NTP=192.0.2.123');
    expect(await sh('systemctl is-active systemd-timesyncd')).toBe('active');
    const show = await sh('sluice-appliance network show');
    expect(show).toContain('eth1: 192.0.2.21/24 2001:db8::21/64');
    expect(show).toContain(`host network: version ${put.version} applied`);
  });

  it('is permanent: networkd alone makes it again from the files, the appliance stopped', async () => {
    await sh(`
      set -e
      systemctl stop sluice
      systemctl stop systemd-networkd.socket systemd-networkd
      ip link del eth1
      systemctl start systemd-networkd
      for i in $(seq 1 60); do ip -o addr show dev eth1 2>/dev/null | grep -q 192.0.2.21 && ip route | grep -q 198.51.100.0 && break; sleep 0.5; done
    `);
    expect(await sh('ip -o addr show dev eth1')).toContain('inet 192.0.2.21/24');
    expect(await sh('ip route show')).toContain('198.51.100.0/24 via 192.0.2.254 dev eth1');
    expect(await sh('cat /etc/hostname')).toBe('lb1');
    await sh('systemctl start sluice');
    expect(await waitActive()).toBe('active');
  });

  it('rolls back an unconfirmed change of address after its timeout, as a new version that says why', async () => {
    const changed = { ...NETWORK, interfaces: [{ name: 'eth1', addresses: ['192.0.2.22/24'] }] };
    const put = JSON.parse(await api('PUT', `/network?version=${await version()}`, changed));
    await applied(put.version);
    await sh(
      'for i in $(seq 1 120); do ip -o -4 addr show dev eth1 | grep -q "inet 192.0.2.22/" && break; sleep 0.5; done',
    );
    expect(await sh('ip -o -4 addr show dev eth1')).toContain('inet 192.0.2.22/24');
    // Nobody confirms: after CONFIRM_SECONDS the rollback is the next version, and applied.
    await applied(put.version + 1, 2 * (CONFIRM_SECONDS + 60));
    const head = JSON.parse(await api('GET', `/config/versions/${put.version + 1}`));
    expect(head).toMatchObject({
      author: 'system',
      comment: `network settings of version ${put.version} not confirmed within ${CONFIRM_SECONDS} s: those of version ${put.version - 1} restored`,
    });
    await sh(
      'for i in $(seq 1 120); do ip -o -4 addr show dev eth1 | grep -q "inet 192.0.2.22/" || break; sleep 0.5; done',
    );
    const addresses = await sh('ip -o -4 addr show dev eth1');
    expect(addresses).toContain('inet 192.0.2.21/24');
    expect(addresses).not.toContain('192.0.2.22');
    expect(JSON.parse(await api('GET', '/network/status')).trial).toBeUndefined();
  });
});
