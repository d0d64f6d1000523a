import { join } from 'node:path';
import { documentationCidr } from '../addresses.js';
import { TestkitError } from '../errors.js';
import { type ExecResult, run } from '../exec.js';
import { SERVERS_DIR } from '../paths.js';
import { checkIfName } from './names.js';
import { NamespaceProcess } from './process.js';

const SYSCTL = /^net\.[a-z0-9_]+(\.[a-zA-Z0-9_-]+)+$/;

/** What a real server of the rig reports once it listens. */
export interface ServerInfo {
  name: string;
  address: string;
  port: number;
}

export interface RunningServer extends ServerInfo {
  process: NamespaceProcess;
  stop(): Promise<void>;
}

/**
 * One network namespace, seen as a machine on the test network. Every command runs through
 * `ip netns exec`/`ip -n`, so nothing here can reach the host's own interfaces or sysctls.
 */
export class Host {
  readonly label: string;
  readonly netns: string;
  private readonly processes = new Set<NamespaceProcess>();
  private nextIf = 0;

  constructor(label: string, netns: string) {
    this.label = label;
    this.netns = netns;
  }

  /** Runs a program inside the namespace and waits for it. */
  exec(command: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', this.netns, command, ...args], { timeoutMs });
  }

  /** `ip -n <netns> ...` */
  ip(args: readonly string[]): Promise<ExecResult> {
    return run('ip', ['-n', this.netns, ...args]);
  }

  /** Runs a Node.js script inside the namespace with the Node that runs the tests. */
  node(script: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<ExecResult> {
    return this.exec(process.execPath, [script, ...args], timeoutMs);
  }

  /** Picks the next free `ethN` name in this namespace. */
  allocateIfName(): string {
    return `eth${this.nextIf++}`;
  }

  async up(ifname: string): Promise<void> {
    await this.ip(['link', 'set', checkIfName(ifname), 'up']);
  }

  /** Adds `address/prefix` (documentation ranges only). IPv6 skips DAD so it is usable at once. */
  async addAddress(ifname: string, cidr: string): Promise<void> {
    const parsed = documentationCidr(cidr);
    const args = ['addr', 'add', `${parsed.address}/${parsed.prefix}`, 'dev', checkIfName(ifname)];
    await this.ip(parsed.family === 6 ? [...args, 'nodad'] : args);
  }

  /** Adds a route; `destination` is `default` or a documentation prefix, `via` a documentation address. */
  async addRoute(destination: string, via: string, family?: 4 | 6): Promise<void> {
    const gateway = documentationCidr(via);
    let dest = 'default';
    if (destination !== 'default') {
      const parsed = documentationCidr(destination);
      dest = `${parsed.address}/${parsed.prefix}`;
    }
    await this.ip([`-${family ?? gateway.family}`, 'route', 'add', dest, 'via', gateway.address]);
  }

  /** Sets a per-namespace sysctl (`net.*` only: other keys are global and would change the host). */
  async sysctl(key: string, value: string | number): Promise<void> {
    if (!SYSCTL.test(key)) {
      throw new TestkitError('TESTKIT_BAD_SYSCTL', `sysctl ${JSON.stringify(key)} is not a per-namespace net.* key`);
    }
    const text = String(value);
    if (!/^[a-zA-Z0-9 ._-]+$/.test(text)) {
      throw new TestkitError('TESTKIT_BAD_SYSCTL', `sysctl value ${JSON.stringify(text)} for ${key} is not plain`);
    }
    await this.exec('sysctl', ['-q', '-w', `${key}=${text}`]);
  }

  /** Starts a process that lives until `stop()` or the lab's teardown. */
  spawn(command: string, args: readonly string[] = []): NamespaceProcess {
    const child = new NamespaceProcess(this.netns, command, args);
    this.processes.add(child);
    child.child.once('exit', () => this.processes.delete(child));
    return child;
  }

  /** An HTTP server answering every request with its own name (body and `x-served-by`). */
  serveHttp(options: { name: string; port: number; address?: string }): Promise<RunningServer> {
    return this.startServer('http-server.mjs', options);
  }

  /** A TCP listener that greets with its name and echoes what it receives. */
  serveTcp(options: { name: string; port: number; address?: string }): Promise<RunningServer> {
    return this.startServer('tcp-listener.mjs', options);
  }

  /** A UDP server that answers `<name>:<payload>`. */
  serveUdpEcho(options: { name: string; port: number; address?: string }): Promise<RunningServer> {
    return this.startServer('udp-echo.mjs', options);
  }

  /**
   * Sends `count` HTTP GETs, each on a new connection (as separate clients would), and
   * returns the bodies in order.
   */
  async httpGet(url: string, count = 1, timeoutMs = 5_000): Promise<string[]> {
    const { stdout } = await this.node(
      join(SERVERS_DIR, 'http-get.mjs'),
      [url, String(count), String(timeoutMs)],
      timeoutMs * count + 30_000,
    );
    return JSON.parse(stdout) as string[];
  }

  /** Sends one UDP datagram and returns the reply. */
  async udpRequest(address: string, port: number, message: string, timeoutMs = 5_000): Promise<string> {
    const { stdout } = await this.node(
      join(SERVERS_DIR, 'udp-request.mjs'),
      [address, String(port), message, String(timeoutMs)],
      timeoutMs + 30_000,
    );
    return stdout.trim();
  }

  async stopProcesses(): Promise<void> {
    await Promise.all([...this.processes].map((p) => p.stop()));
  }

  private async startServer(
    script: string,
    options: { name: string; port: number; address?: string },
  ): Promise<RunningServer> {
    const address = options.address ?? '::';
    if (address !== '::' && address !== '0.0.0.0') documentationCidr(address);
    const child = this.spawn(process.execPath, [
      join(SERVERS_DIR, script),
      options.name,
      address,
      String(options.port),
    ]);
    try {
      const info = JSON.parse(await child.waitForLine('READY', 30_000)) as ServerInfo;
      return { ...info, process: child, stop: () => child.stop() };
    } catch (error) {
      await child.stop();
      throw error;
    }
  }
}
