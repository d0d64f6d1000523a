import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootSystem, type SystemHandle } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The .deb as a systems person meets it: built by `npm run package`'s script, installed with
// apt on a clean Debian 12 booted with systemd (the rig's UML kernel, so IPVS is real),
// reloaded, restarted, upgraded under a live Layer 4 connection, removed and purged.
//
// "The previous build" is this build repacked with a lower version: what an upgrade must
// keep (configuration, history, a connection through a VIP) does not depend on what
// changed between two commits, and building an older commit here would need its whole
// dependency tree again.

const APP = join(import.meta.dirname, '..', '..');
const PREVIOUS = '0.0.1~previous';
const CURRENT = '0.0.1';
const API = 'http://127.0.0.1:9080/api/v1';
const token = '$(cat /var/lib/sluice/cli.token)';

let work: string;
let system: SystemHandle;
const debs: Record<'previous' | 'current', string> = { previous: '', current: '' };

/** The package built as `npm run package` builds it, for the version given. */
function buildDeb(version: string, out: string): string {
  execFileSync(process.execPath, [join(APP, 'scripts', 'package-deb.mjs'), '--version', version, '--out', out], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return join(out, `sluice-appliance_${version}_amd64.deb`);
}

/** The same files under another version (dpkg-deb -R, edit the control file, build again). */
function repack(deb: string, version: string, out: string): string {
  const tree = join(out, 'repack');
  execFileSync('dpkg-deb', ['-R', deb, tree]);
  execFileSync('sed', ['-i', `s/^Version: .*/Version: ${version}/`, join(tree, 'DEBIAN', 'control')]);
  const repacked = join(out, `sluice-appliance_${version}_amd64.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', tree, repacked], { stdio: 'ignore' });
  return repacked;
}

// The real server's echo service and the client that holds one connection across the upgrade.
const ECHO = `import socketserver
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(b'echo ' + line)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(('203.0.113.2', 8080), Echo).serve_forever()
`;
const CLIENT = `import os, socket, time
s = socket.create_connection(('198.51.100.10', 80), timeout=30)
f = s.makefile('rwb')
f.write(b'before\\n'); f.flush(); print(f.readline().decode().strip(), flush=True)
while not os.path.exists('/root/go'): time.sleep(0.2)
f.write(b'after\\n'); f.flush(); print(f.readline().decode().strip(), flush=True)
`;

// Layer 7: a keep-alive HTTP server behind HAProxy, and a client asking once a second over one
// connection for as long as the upgrade takes (HAProxy's keep-alive timeout would end an idle one).
const WEB = `import http.server
class Hello(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_GET(self):
        body = b'hello'
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(('203.0.113.2', 8081), Hello).serve_forever()
`;
const WEB_CLIENT = `import http.client, os, time
c = http.client.HTTPConnection('198.51.100.11', 80, timeout=30)
first = None
answered = 0
done = 0
while done < 3:
    c.request('GET', '/')
    r = c.getresponse()
    if r.status == 200 and r.read() == b'hello':
        answered += 1
    first = first or c.sock
    if c.sock is not first:
        print('a new connection', flush=True)
        raise SystemExit(1)
    if answered == 1:
        print('first answer', flush=True)
    if os.path.exists('/root/go'):
        done += 1
    time.sleep(1)
print('answered', answered, 'on one connection', flush=True)
`;

const sh = async (script: string) => (await system.check(script)).stdout.trim();
const waitActive = () =>
  sh(
    'for i in $(seq 1 240); do s=$(systemctl is-active sluice); [ "$s" = active ] && break; [ "$s" = failed ] && break; sleep 0.5; done; systemctl is-active sluice',
  );
const mainPid = () => sh('systemctl show -p MainPID --value sluice');
const journal = () => sh('journalctl -u sluice --no-pager -o cat');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sluice-deb-'));
  debs.current = buildDeb(CURRENT, work);
  debs.previous = repack(debs.current, PREVIOUS, work);
  system = await bootSystem({ debs: [debs.previous, debs.current], memoryMiB: 1536 });
}, 1_200_000);

afterAll(async () => {
  await system?.shutdown();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('sluice-appliance .deb on Debian 12 with systemd', () => {
  it('builds lintian-clean: nothing but the overrides the package explains', () => {
    const said = execFileSync('lintian', ['--tag-display-limit', '0', debs.current], { encoding: 'utf8' });
    expect(said.split('\n').filter((line) => /^[EW]: /.test(line))).toEqual([]);
  });

  it('installs with apt: the service is active, the API answers, the journal has the start line and no password', async () => {
    await sh(`cd /testkit/files && apt-get install -y --no-install-recommends ./${debs.previous.split('/').pop()}`);
    expect(await waitActive()).toBe('active');
    expect(await sh(`curl -sf ${API}/health`)).toBe('{"status":"ok"}');
    // Type=notify: active means the daemon said READY=1, and its STATUS line shows.
    expect(await sh('systemctl show -p StatusText --value sluice')).toMatch(
      /^serving on :9080 and :9443, configuration version \d+$/,
    );
    expect(await sh('systemctl is-enabled sluice')).toBe('enabled');
    const password = await sh('cat /var/lib/sluice/initial-password');
    expect(password.length).toBeGreaterThan(11);
    expect(await sh('stat -c %a /var/lib/sluice/initial-password')).toBe('600');
    const logged = await journal();
    expect(logged).toContain(
      'first start: log in as "admin" with the password in /var/lib/sluice/initial-password (readable by root only)',
    );
    expect(logged).not.toContain(password);
    // One record a line with its priority: the warnings alone with -p warning.
    expect(await sh('journalctl -u sluice --no-pager -o cat -p info | grep -c "starting; configuration version"')).toBe(
      '1',
    );
    expect(await sh('lsmod | grep -c "^ip_vs "')).toBe('1');
  });

  it('reloads (SIGHUP: settings read, configuration applied again) and restarts', async () => {
    const before = await mainPid();
    await sh('systemctl reload sluice');
    await sh(
      'for i in $(seq 1 60); do journalctl -u sluice -o cat | grep -q "reloaded: configuration version" && break; sleep 0.5; done',
    );
    expect(await journal()).toMatch(/reloaded: configuration version \d+ applied/);
    expect(await mainPid()).toBe(before);
    expect(await sh('systemctl is-active sluice')).toBe('active');
    await sh('systemctl restart sluice');
    expect(await waitActive()).toBe('active');
    expect(await mainPid()).not.toBe(before);
    expect(await sh(`curl -sf ${API}/health`)).toBe('{"status":"ok"}');
  });

  it('upgrades to this build: configuration and history kept, a Layer 4 connection and a Layer 7 one survive', async () => {
    // A client and a real server in namespaces on either side of the node (NAT: the node
    // is the real server's gateway), as the wizard's NAT answers describe them.
    await writeFile(join(work, 'echo.py'), ECHO);
    await writeFile(join(work, 'client.py'), CLIENT);
    const echoPy = await system.copyIn(join(work, 'echo.py'));
    const clientPy = await system.copyIn(join(work, 'client.py'));
    await writeFile(join(work, 'web.py'), WEB);
    await writeFile(join(work, 'web-client.py'), WEB_CLIENT);
    const webPy = await system.copyIn(join(work, 'web.py'));
    const webClientPy = await system.copyIn(join(work, 'web-client.py'));
    await sh(`
      set -e
      sysctl -qw net.ipv4.ip_forward=1
      ip netns add client; ip netns add rs
      ip link add eth0 type veth peer name c0 netns client
      ip link add eth1 type veth peer name r0 netns rs
      ip addr add 198.51.100.1/24 dev eth0; ip link set eth0 up
      ip addr add 203.0.113.1/24 dev eth1; ip link set eth1 up
      ip -n client addr add 198.51.100.2/24 dev c0; ip -n client link set c0 up; ip -n client link set lo up
      ip -n rs addr add 203.0.113.2/24 dev r0; ip -n rs link set r0 up; ip -n rs link set lo up
      ip -n rs route add default via 203.0.113.1
      setsid ip netns exec rs python3 ${echoPy} </dev/null >/root/echo.log 2>&1 &
      setsid ip netns exec rs python3 ${webPy} </dev/null >/root/web.log 2>&1 &
    `);
    await sh(
      'sluice-appliance wizard --non-interactive --yes --address 198.51.100.1/24 --interface eth0 --mode nat --internal-address 203.0.113.1/24 --internal-interface eth1 --vip 198.51.100.10 --port 80 --server-address 203.0.113.2 --server-port 8080',
    );
    await sh(
      'sluice-appliance wizard --non-interactive --yes --address 198.51.100.1/24 --interface eth0 --mode snat --label web7 --vip 198.51.100.11 --port 80 --server-label web7_server --server-address 203.0.113.2 --server-port 8081',
    );
    await sh(
      'for i in $(seq 1 120); do ipvsadm -Ln | grep -q "203.0.113.2:8080" && break; sleep 0.5; done; ipvsadm -Ln',
    );
    await sh(
      'for i in $(seq 1 120); do ip netns exec client curl -sf -m 2 http://198.51.100.11/ && break; sleep 0.5; done',
    );
    // One connection through the VIP, kept open across the upgrade: a line before, one after.
    await sh(`
      setsid ip netns exec client python3 ${clientPy} </dev/null >/root/client.log 2>&1 &
      setsid ip netns exec client python3 ${webClientPy} </dev/null >/root/web-client.log 2>&1 &
      for i in $(seq 1 60); do grep -q "echo before" /root/client.log && grep -q "first answer" /root/web-client.log && break; sleep 0.5; done
      cat /root/client.log
    `);
    expect(await sh('cat /root/client.log')).toBe('echo before');
    const versions = await sh(`curl -sf -H "authorization: Bearer ${token}" ${API}/config/versions`);
    // The appliance's HAProxy master (Debian's haproxy.service runs its own beside it).
    const ourHaproxy = 'pgrep -o -f "haproxy .*/var/lib/sluice/run/haproxy/"';
    const haproxyBefore = await sh(ourHaproxy);

    await sh(`cd /testkit/files && apt-get install -y --no-install-recommends ./${debs.current.split('/').pop()}`);
    expect(await waitActive()).toBe('active');
    expect(await sh(`dpkg-query -W -f '\${Version}' sluice-appliance`)).toBe(CURRENT);
    expect(await sh(`curl -sf -H "authorization: Bearer ${token}" ${API}/config/versions`)).toBe(versions);
    expect(await sh('ipvsadm -Ln')).toContain('203.0.113.2:8080');
    // HAProxy's master was adopted, not restarted.
    expect(haproxyBefore).toMatch(/^\d+$/);
    expect(await sh(ourHaproxy)).toBe(haproxyBefore);

    await sh(
      'touch /root/go; for i in $(seq 1 60); do grep -q "echo after" /root/client.log && break; sleep 0.5; done',
    );
    expect((await sh('cat /root/client.log')).split('\n')).toEqual(['echo before', 'echo after']);
    // Every request during the upgrade answered by HAProxy, on the connection it began with.
    await sh('for i in $(seq 1 60); do grep -q "on one connection" /root/web-client.log && break; sleep 0.5; done');
    expect(await sh('cat /root/web-client.log')).toMatch(/^first answer\nanswered \d+ on one connection$/);
  });

  it('removes (data and settings kept, nothing left running) and purges (nothing left but Debian policy keeps)', async () => {
    await sh('apt-get remove -y sluice-appliance');
    expect(await sh('systemctl is-active sluice || true')).toBe('inactive');
    expect(await sh('pgrep -f /usr/lib/sluice | wc -l')).toBe('0');
    expect(await sh('test -d /var/lib/sluice && test -f /etc/default/sluice && echo kept')).toBe('kept');
    expect(await sh('test -e /usr/lib/sluice || test -e /usr/bin/sluice-appliance || echo gone')).toBe('gone');
    await sh('apt-get purge -y sluice-appliance');
    expect(await sh('test -e /var/lib/sluice || test -e /etc/default/sluice || echo gone')).toBe('gone');
    expect(await sh(`dpkg-query -W -f '\${Status}' sluice-appliance 2>&1 || true`)).toMatch(
      /not-installed|no packages found/,
    );
    expect(await sh('ls /etc/systemd/system/multi-user.target.wants/ | grep -c sluice || true')).toBe('0');
    expect(await readdir(work)).toContain(debs.current.split('/').pop());
  });
});
