import { TestkitError } from '../errors.js';
import { run } from '../exec.js';
import { removeNamespace, removeNamespaceSync } from './cleanup.js';
import { Host } from './host.js';
import { checkIfName, checkLabel, netnsName, newRunId } from './names.js';

export interface LinkOptions {
  /** Interface name on the first host (default: the next free ethN). */
  aIf?: string;
  bIf?: string;
  /** Addresses (documentation ranges, `address/prefix`) for each end. */
  aAddrs?: readonly string[];
  bAddrs?: readonly string[];
}

export interface Link {
  aIf: string;
  bIf: string;
}

/** A namespace holding one bridge (`br0`): the test network's Ethernet switch. */
export class Switch {
  readonly host: Host;
  constructor(host: Host) {
    this.host = host;
  }
}

const liveLabs = new Set<Lab>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // An interrupted run still removes its namespaces; anything a SIGKILL leaves behind is
  // swept by the next run (see sweepStaleNamespaces), since its owner pid is then dead.
  process.once('exit', () => {
    for (const lab of liveLabs) lab.destroySync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const lab of liveLabs) lab.destroySync();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * A set of hosts (network namespaces), the links between them, and the processes they run.
 * `destroy()` removes all of it; so does the exit of the process that made it.
 */
export class Lab {
  readonly runId = newRunId();
  private readonly hosts = new Map<string, Host>();

  static async create(): Promise<Lab> {
    if (process.getuid?.() !== 0) {
      throw new TestkitError('TESTKIT_NOT_ROOT', 'network namespaces need root (run the tests as root)');
    }
    installExitHook();
    const lab = new Lab();
    liveLabs.add(lab);
    return lab;
  }

  /** Creates a host: a fresh namespace with `lo` up. */
  async host(label: string): Promise<Host> {
    checkLabel(label);
    if (this.hosts.has(label)) throw new TestkitError('TESTKIT_BAD_NAME', `host ${label} exists in this lab`);
    const name = netnsName(this.runId, label);
    const host = new Host(label, name);
    this.hosts.set(label, host);
    await run('ip', ['netns', 'add', name]);
    await host.up('lo');
    return host;
  }

  /** A host made earlier by this lab. */
  get(label: string): Host {
    const host = this.hosts.get(label);
    if (!host) throw new TestkitError('TESTKIT_BAD_NAME', `no host ${label} in this lab`);
    return host;
  }

  /** A host with a bridge `br0`, for several hosts on one segment. */
  async switch(label: string): Promise<Switch> {
    const host = await this.host(label);
    await host.ip(['link', 'add', 'name', 'br0', 'type', 'bridge']);
    await host.up('br0');
    return new Switch(host);
  }

  /**
   * A veth pair between two hosts, created directly inside them (it never appears in the
   * host's own namespace), both ends up, with the given addresses.
   */
  async link(a: Host, b: Host, options: LinkOptions = {}): Promise<Link> {
    const aIf = checkIfName(options.aIf ?? a.allocateIfName());
    const bIf = checkIfName(options.bIf ?? b.allocateIfName());
    await a.ip(['link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.netns]);
    await a.up(aIf);
    await b.up(bIf);
    for (const cidr of options.aAddrs ?? []) await a.addAddress(aIf, cidr);
    for (const cidr of options.bAddrs ?? []) await b.addAddress(bIf, cidr);
    return { aIf, bIf };
  }

  /** Plugs a host into a switch; returns the host's interface name. */
  async attach(host: Host, sw: Switch, addrs: readonly string[] = [], ifname?: string): Promise<string> {
    const link = await this.link(host, sw.host, { ...(ifname ? { aIf: ifname } : {}), aAddrs: addrs });
    await sw.host.ip(['link', 'set', link.bIf, 'master', 'br0']);
    return link.aIf;
  }

  /** Names of the namespaces this lab made (for assertions about teardown). */
  get namespaces(): string[] {
    return [...this.hosts.values()].map((h) => h.netns);
  }

  async destroy(): Promise<void> {
    liveLabs.delete(this);
    for (const host of this.hosts.values()) await host.stopProcesses();
    await Promise.all(this.namespaces.map((name) => removeNamespace(name)));
    this.hosts.clear();
  }

  destroySync(): void {
    liveLabs.delete(this);
    for (const name of this.namespaces) removeNamespaceSync(name);
    this.hosts.clear();
  }
}
