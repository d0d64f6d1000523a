import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, listNamespaces, sweepStaleNamespaces, TestkitError } from '../src/index.js';

// client --(192.0.2.0/24, 2001:db8:1::/64)-- router --(198.51.100.0/24, 2001:db8:2::/64)-- server
describe('three namespaces: client, router, server', () => {
  let lab: Lab;
  let names: string[];

  beforeAll(async () => {
    lab = await Lab.create();
    const client = await lab.host('client');
    const router = await lab.host('router');
    const server = await lab.host('server');
    await lab.link(client, router, {
      aAddrs: ['192.0.2.2/24', '2001:db8:1::2/64'],
      bAddrs: ['192.0.2.1/24', '2001:db8:1::1/64'],
    });
    await lab.link(router, server, {
      aAddrs: ['198.51.100.1/24', '2001:db8:2::1/64'],
      bAddrs: ['198.51.100.2/24', '2001:db8:2::2/64'],
    });
    await router.sysctl('net.ipv4.ip_forward', 1);
    await router.sysctl('net.ipv6.conf.all.forwarding', 1);
    await client.addRoute('default', '192.0.2.1');
    await client.addRoute('default', '2001:db8:1::1');
    await server.addRoute('default', '198.51.100.1');
    await server.addRoute('default', '2001:db8:2::1');
    await server.serveHttp({ name: 'charlie_server', port: 80 });
    await server.serveUdpEcho({ name: 'charlie_server', port: 5353 });
    names = lab.namespaces;
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('creates its namespaces under unique names', async () => {
    expect(names).toHaveLength(3);
    const live = await listNamespaces();
    for (const name of names) expect(live).toContain(name);
    expect(new Set(names).size).toBe(3);
  });

  it('routes HTTP over IPv4 and IPv6 through the router', async () => {
    const client = lab.get('client');
    expect(await client.httpGet('http://198.51.100.2/', 2)).toEqual(['charlie_server', 'charlie_server']);
    expect(await client.httpGet('http://[2001:db8:2::2]/')).toEqual(['charlie_server']);
  });

  it('routes UDP through the router', async () => {
    const client = lab.get('client');
    expect(await client.udpRequest('198.51.100.2', 5353, 'ping')).toBe('charlie_server:ping');
  });

  it('keeps the host namespace out of it: the router has no route to the server side unless forwarding', async () => {
    const router = lab.get('router');
    await router.sysctl('net.ipv4.ip_forward', 0);
    const client = lab.get('client');
    await expect(client.httpGet('http://198.51.100.2/', 1, 1_000)).rejects.toBeInstanceOf(TestkitError);
    await router.sysctl('net.ipv4.ip_forward', 1);
    expect(await client.httpGet('http://198.51.100.2/')).toEqual(['charlie_server']);
  });

  it('refuses addresses outside the documentation ranges and global sysctls', async () => {
    const client = lab.get('client');
    await expect(client.addAddress('eth0', '10.0.0.1/8')).rejects.toMatchObject({
      code: 'TESTKIT_ADDRESS_NOT_DOCUMENTATION',
    });
    await expect(client.sysctl('kernel.panic', 1)).rejects.toMatchObject({ code: 'TESTKIT_BAD_SYSCTL' });
  });
});

describe('teardown', () => {
  it('removes every namespace and kills the servers in them', async () => {
    const lab = await Lab.create();
    const a = await lab.host('alpha');
    const server = await a.serveTcp({ name: 'alpha_server', port: 7000 });
    const names = lab.namespaces;
    await lab.destroy();
    const live = await listNamespaces();
    for (const name of names) expect(live).not.toContain(name);
    expect(server.process.child.exitCode !== null || server.process.child.signalCode !== null).toBe(true);
  });

  it('sweeps what a SIGKILLed run left behind, servers included', async () => {
    const script = fileURLToPath(new URL('./fixtures/abandoned-lab.mjs', import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const left = await new Promise<{ namespaces: string[]; serverPid: number }>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const line = out.split('\n').find((l) => l.startsWith('LEFT '));
        if (line) resolve(JSON.parse(line.slice('LEFT '.length)));
      });
      child.once('exit', (code) => reject(new Error(`fixture exited ${code}: ${out}`)));
    });
    const names = left.namespaces;
    const killed = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await killed;
    expect(await listNamespaces()).toEqual(expect.arrayContaining(names));
    const swept = await sweepStaleNamespaces();
    expect(swept).toEqual(expect.arrayContaining(names));
    const live = await listNamespaces();
    for (const name of names) expect(live).not.toContain(name);
    // Killed: gone, or a zombie waiting for its new parent (the fixture died first) to reap it.
    expect(processState(left.serverPid)).toMatch(/^(gone|Z)$/);
  });
});

function processState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? 'gone';
  } catch {
    return 'gone';
  }
}
