import { readFile } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Connection, parseConnections } from './conntable.js';
import { IpvsError } from './errors.js';
import { daemonAttrs, decodeDaemon, decodeDestination, decodeService, serviceKeyAttrs } from './kernel/codec.js';
import { Cmd, CmdAttr, InfoAttr, IPVS_GENL_NAME, IPVS_GENL_VERSION } from './kernel/constants.js';
import { kernelError } from './kernel/errors.js';
import { IpvsSockopt, sockoptKey } from './native/ipvs-sockopt.js';
import { type Attr, AttrView, u32 } from './netlink/attributes.js';
import { KernelError, NetlinkConnection } from './netlink/connection.js';
import { DirectDumps } from './netlink/direct-dumps.js';
import { DirectSocket, directSocketUnavailable } from './netlink/direct-socket.js';
import { type Dumper, DumpPool, type ReplyVisitor } from './netlink/dump-pool.js';
import { GENL_HDRLEN, type GenlRequest, type NlMessage } from './netlink/message.js';
import { LocalTransport, NamespaceTransport, type NetlinkTransport } from './netlink/transport.js';
import { type Operation, operationRequest } from './operations.js';
import type {
  Destination,
  DestinationSettings,
  DestinationSpec,
  IpvsInfo,
  Service,
  ServiceKey,
  ServiceSpec,
  SyncDaemon,
  Timeouts,
} from './types.js';
import { validateDaemon, validateServiceKey } from './validate.js';

export interface OpenOptions {
  /** A named network namespace (`ip netns add NAME`); default: this process's. */
  netns?: string;
  /** Timeout of every request, in ms (default 5000). */
  timeoutMs?: number;
  /** A transport of your own (tests); overrides `netns`. */
  transport?: NetlinkTransport;
  /**
   * Sockets that `list()` keeps dumping on at once (default 4; 1 = the client's own only).
   * Needs a transport that can open siblings: this namespace's can, a named namespace's
   * (one worker process per socket) does not.
   */
  dumpSockets?: number;
  /**
   * Dumps through direct system calls on a socket of this namespace (default true where
   * the platform allows it: 64-bit Linux with koffi's libc binding). About 2 system calls
   * a dump instead of 14; `list()` of a large table is several times faster. Ignored with
   * `netns` or `transport`.
   */
  directDumps?: boolean;
}

const DUMP_SOCKETS = 4;
const DEFAULT_TIMEOUT_MS = 5_000;
/** Room for a batch's acknowledgements and errors; the kernel caps it at net.core.rmem_max. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export type ServiceWithDestinations = Service & { destinations: Destination[] };
/** Options of the reads of the whole table (list(), listSettings()). */
export interface ReadOptions {
  /**
   * Awaited between slices of a long read (every 32 dumps or 64 system calls) instead of a
   * bare turn of the event loop: a daemon can hold its reads there while more urgent work
   * (a write) runs, so that the write waits for one slice, not for the whole table.
   */
  pause?: () => Promise<void>;
}

/** A service and its real servers' settings (see listSettings()). */
export type ServiceWithSettings = Service & { destinations: DestinationSettings[] };
/** Socket-option calls between two turns of the event loop. */
const SOCKOPT_CALLS_PER_TURN = 64;

export interface OperationResult {
  operation: Operation;
  /** Undefined when it succeeded. */
  error?: IpvsError;
}

/**
 * The IPVS client: one generic netlink socket (in this namespace or a named one), the
 * family resolved at open, every call validated before it is sent and timed out.
 */
export class IpvsClient {
  private readonly connection: NetlinkConnection;
  private readonly dumps: Dumper;
  private readonly family: number;
  /** How this client dumps: `direct` system calls, or the `netlink` package's sockets. */
  readonly dumpPath: 'direct' | 'netlink';
  /** The socket-option interface, once asked for (null: not available here). */
  private sockopt: IpvsSockopt | null | undefined;

  private constructor(connection: NetlinkConnection, dumps: Dumper, family: number) {
    this.connection = connection;
    this.dumps = dumps;
    this.family = family;
    this.dumpPath = dumps instanceof DirectDumps ? 'direct' : 'netlink';
  }

  static async open(options: OpenOptions = {}): Promise<IpvsClient> {
    const { dumpSockets = DUMP_SOCKETS } = options;
    if (!Number.isInteger(dumpSockets) || dumpSockets < 1 || dumpSockets > 64) {
      throw new IpvsError('IPVS_INVALID_FIELD', 'dumpSockets: a whole number from 1 to 64', { field: 'dumpSockets' });
    }
    const transport: NetlinkTransport =
      options.transport ?? (options.netns ? await NamespaceTransport.open(options.netns) : new LocalTransport());
    const connectionOptions = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
    const connection = new NetlinkConnection(transport, connectionOptions);
    const sibling = transport.openSibling?.bind(transport);
    const direct =
      options.directDumps !== false &&
      options.transport === undefined &&
      options.netns === undefined &&
      directSocketUnavailable() === undefined;
    let dumps: Dumper;
    try {
      dumps = direct
        ? new DirectDumps(() => DirectSocket.open(SOCKET_BUFFER_BYTES), options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
        : new DumpPool(connection, sibling && (() => new NetlinkConnection(sibling(), connectionOptions)), dumpSockets);
    } catch (error) {
      connection.close();
      throw error;
    }
    try {
      return new IpvsClient(connection, dumps, await connection.resolveFamily(IPVS_GENL_NAME));
    } catch (error) {
      dumps.close();
      connection.close();
      if (error instanceof KernelError && error.errno === 2) {
        throw new IpvsError(
          'IPVS_UNAVAILABLE',
          'this kernel has no IPVS: load it with `modprobe ip_vs`, or use a kernel built with CONFIG_IP_VS',
          { cause: error, errno: error.errno },
        );
      }
      throw error instanceof KernelError ? kernelError(error, 'resolve the IPVS family') : error;
    }
  }

  close(): void {
    this.sockopt?.close();
    this.dumps.close();
    this.connection.close();
  }

  private req(cmd: number, attrs: Attr[] = []): GenlRequest {
    return { family: this.family, cmd, version: IPVS_GENL_VERSION, flags: 0, attrs };
  }

  private async call(cmd: number, attrs: Attr[], what: string): Promise<NlMessage[]> {
    try {
      return await this.connection.request(this.req(cmd, attrs));
    } catch (error) {
      throw error instanceof KernelError ? kernelError(error, what, cmd) : error;
    }
  }

  private async dumpOf(cmd: number, attrs: Attr[], what: string): Promise<NlMessage[]> {
    try {
      return await this.dumps.dump(this.req(cmd, attrs));
    } catch (error) {
      throw error instanceof KernelError ? kernelError(error, what, cmd) : error;
    }
  }

  async info(): Promise<IpvsInfo> {
    const [reply] = await this.call(Cmd.GET_INFO, [], 'read IPVS info');
    const m = topLevel(reply);
    const code = m.u32(InfoAttr.VERSION) ?? 0;
    return {
      version: `${code >> 16}.${(code >> 8) & 0xff}.${code & 0xff}`,
      versionCode: code,
      connectionTableSize: m.u32(InfoAttr.CONN_TAB_SIZE) ?? 0,
    };
  }

  async getTimeouts(): Promise<Timeouts> {
    const [reply] = await this.call(Cmd.GET_CONFIG, [], 'read timeouts');
    const m = topLevel(reply);
    return {
      tcp: m.u32(CmdAttr.TIMEOUT_TCP) ?? 0,
      tcpFin: m.u32(CmdAttr.TIMEOUT_TCP_FIN) ?? 0,
      udp: m.u32(CmdAttr.TIMEOUT_UDP) ?? 0,
    };
  }

  /** Sets connection timeouts in seconds; a missing or 0 value leaves that one unchanged. */
  async setTimeouts(timeouts: Partial<Timeouts>): Promise<void> {
    const attrs: Attr[] = [];
    for (const [field, type] of [
      ['tcp', CmdAttr.TIMEOUT_TCP],
      ['tcpFin', CmdAttr.TIMEOUT_TCP_FIN],
      ['udp', CmdAttr.TIMEOUT_UDP],
    ] as const) {
      const value = timeouts[field];
      if (value === undefined) continue;
      if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
        throw new IpvsError('IPVS_INVALID_FIELD', `${field}: must be whole seconds (0 = unchanged)`, { field });
      }
      attrs.push({ type, value: u32(value) });
    }
    await this.call(Cmd.SET_CONFIG, attrs, 'set timeouts');
  }

  /** Removes every service (and its destinations). */
  async flush(): Promise<void> {
    await this.call(Cmd.FLUSH, [], 'flush the table');
  }

  /** Zeroes the counters of one service, or of all. */
  async zero(key?: ServiceKey): Promise<void> {
    if (key) validateServiceKey(key, '', { persistent: true });
    await this.call(Cmd.ZERO, key ? [{ type: CmdAttr.SERVICE, value: serviceKeyAttrs(key) }] : [], 'zero counters');
  }

  async addService(spec: ServiceSpec): Promise<void> {
    await this.one({ op: 'add-service', service: spec });
  }

  /** Changes a service in place (IPVS_CMD_SET_SERVICE): its connections survive. */
  async editService(spec: ServiceSpec): Promise<void> {
    await this.one({ op: 'edit-service', service: spec });
  }

  async deleteService(key: ServiceKey): Promise<void> {
    await this.one({ op: 'delete-service', service: key });
  }

  async getService(key: ServiceKey): Promise<Service> {
    validateServiceKey(key, '', { persistent: true });
    const replies = await this.call(
      Cmd.GET_SERVICE,
      [{ type: CmdAttr.SERVICE, value: serviceKeyAttrs(key) }],
      'get the service',
    );
    const service = replies.map((r) => decodeNested(r, CmdAttr.SERVICE)).find((m) => m !== undefined);
    if (!service) throw new IpvsError('IPVS_NOT_FOUND', 'no such service');
    return decodeService(service);
  }

  async listServices(): Promise<Service[]> {
    const out: Service[] = [];
    const top = new AttrView();
    const service = new AttrView();
    await this.visitDumps([this.req(Cmd.GET_SERVICE)], 'list services', Cmd.GET_SERVICE, (_, buf, start, end) => {
      const m = top.reset(buf, start + GENL_HDRLEN, end).nestedInto(CmdAttr.SERVICE, service);
      if (m) out.push(decodeService(m));
    });
    return out;
  }

  async addDestination(service: ServiceKey, dest: DestinationSpec): Promise<void> {
    await this.one({ op: 'add-destination', service, destination: dest });
  }

  /** Changes a destination in place (IPVS_CMD_SET_DEST): weight 0 drains it, connections stay. */
  async editDestination(service: ServiceKey, dest: DestinationSpec): Promise<void> {
    await this.one({ op: 'edit-destination', service, destination: dest });
  }

  async deleteDestination(service: ServiceKey, dest: { address: string; port: number }): Promise<void> {
    await this.one({ op: 'delete-destination', service, destination: dest });
  }

  async listDestinations(service: ServiceKey): Promise<Destination[]> {
    const family = validateServiceKey(service, '', { persistent: true });
    const replies = await this.dumpOf(
      Cmd.GET_DEST,
      [{ type: CmdAttr.SERVICE, value: serviceKeyAttrs(service) }],
      'list destinations',
    );
    return decodeDestinations(replies, family);
  }

  /** The whole table: every service with its destinations (a GET_DEST dump per service). */
  async list(options: ReadOptions = {}): Promise<ServiceWithDestinations[]> {
    const table: ServiceWithDestinations[] = (await this.listServices()).map((s) => ({ ...s, destinations: [] }));
    await this.dumpDestinationsInto(table, options.pause);
    return table;
  }

  /**
   * The whole table without the real servers' counters: every field plan() compares, for
   * a reconcile or a drift check. Cheaper than list() on a large table: the real servers of
   * IPv4 services come through the kernel's socket-option interface, one system call a
   * service (see IpvsSockopt); the rest (IPv6 services, tunnels, real servers of the other
   * family, and clients in a named namespace) through netlink dumps, as list() reads them.
   */
  async listSettings(options: ReadOptions = {}): Promise<ServiceWithSettings[]> {
    const table: ServiceWithSettings[] = (await this.listServices()).map((s) => ({ ...s, destinations: [] }));
    const viaNetlink: ServiceWithSettings[] = [];
    if (this.dumpPath === 'direct' && this.sockopt === undefined) this.sockopt = IpvsSockopt.open() ?? null;
    const sockopt = this.sockopt;
    if (sockopt) {
      const counts = sockopt.destinationCounts(table.length);
      for (let i = 0; i < table.length; i++) {
        if (i % SOCKOPT_CALLS_PER_TURN === SOCKOPT_CALLS_PER_TURN - 1) await (options.pause?.() ?? nextTurn());
        const service = table[i] as ServiceWithSettings;
        const count = service.family === 4 ? counts.get(sockoptKey(service)) : undefined;
        const dests = count === undefined ? undefined : sockopt.destinations(service, count);
        if (dests) service.destinations = dests;
        else viaNetlink.push(service);
      }
    } else {
      viaNetlink.push(...table);
    }
    await this.dumpDestinationsInto(viaNetlink, options.pause);
    return table;
  }

  /** Fills in the real servers of these services (with their counters), a GET_DEST dump each. */
  private async dumpDestinationsInto(
    services: readonly ServiceWithSettings[],
    pause?: () => Promise<void>,
  ): Promise<void> {
    // Decoded where each reply was received; a few views reused for the whole table.
    const top = new AttrView();
    const dest = new AttrView();
    const stats = new AttrView();
    await this.visitDumps(
      services.map((s) => this.req(Cmd.GET_DEST, [{ type: CmdAttr.SERVICE, value: serviceKeyAttrs(s) }])),
      'list destinations',
      Cmd.GET_DEST,
      (index, buf, start, end) => {
        const m = top.reset(buf, start + GENL_HDRLEN, end).nestedInto(CmdAttr.DEST, dest);
        const service = services[index] as ServiceWithSettings;
        if (m) service.destinations.push(decodeDestination(m, service.family, stats));
      },
      pause,
    );
  }

  private async visitDumps(
    requests: GenlRequest[],
    what: string,
    cmd: number,
    visit: ReplyVisitor,
    pause?: () => Promise<void>,
  ): Promise<void> {
    try {
      await this.dumps.visitEach(requests, visit, undefined, pause);
    } catch (error) {
      throw error instanceof KernelError ? kernelError(error, what, cmd) : error;
    }
  }

  async startDaemon(daemon: SyncDaemon): Promise<void> {
    validateDaemon(daemon);
    await this.call(Cmd.NEW_DAEMON, [{ type: CmdAttr.DAEMON, value: daemonAttrs(daemon) }], 'start the sync daemon');
  }

  async stopDaemon(state: SyncDaemon['state']): Promise<void> {
    if (state !== 'master' && state !== 'backup')
      throw new IpvsError('IPVS_INVALID_FIELD', 'state: master or backup', { field: 'state' });
    await this.call(
      Cmd.DEL_DAEMON,
      [{ type: CmdAttr.DAEMON, value: [{ type: 1, value: u32(state === 'master' ? 1 : 2) }] }],
      'stop the sync daemon',
    );
  }

  async listDaemons(): Promise<SyncDaemon[]> {
    const replies = await this.dumpOf(Cmd.GET_DAEMON, [], 'list sync daemons');
    return replies.flatMap((r) => {
      const m = decodeNested(r, CmdAttr.DAEMON);
      return m ? [decodeDaemon(m)] : [];
    });
  }

  /** The connection table (/proc/net/ip_vs_conn of this client's namespace). */
  async connections(): Promise<Connection[]> {
    const path = `${this.connection.procNet}/ip_vs_conn`;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      throw new IpvsError('IPVS_UNAVAILABLE', `cannot read ${path}: is IPVS loaded?`, { cause });
    }
    return parseConnections(text);
  }

  /**
   * Runs many operations in as few netlink round trips as possible (many messages per
   * datagram, errors matched to their operation). Every operation is validated first;
   * an invalid one stops the whole run before anything is sent.
   */
  async execute(operations: readonly Operation[]): Promise<OperationResult[]> {
    const requests = operations.map((op, i) =>
      operationRequest(op, this.family, operations.length > 1 ? `operations[${i}]` : ''),
    );
    let outcome: Awaited<ReturnType<NetlinkConnection['batch']>>;
    try {
      outcome = await this.connection.batch(requests);
    } catch (error) {
      throw error instanceof KernelError ? kernelError(error, 'batch') : error;
    }
    return operations.map((operation, i) => {
      const error = outcome.errors.get(i);
      return error ? { operation, error: kernelError(error, operation.op, requests[i]?.cmd) } : { operation };
    });
  }

  private async one(op: Operation): Promise<void> {
    const req = operationRequest(op, this.family, '');
    try {
      await this.connection.request(req);
    } catch (error) {
      throw error instanceof KernelError ? kernelError(error, op.op, req.cmd) : error;
    }
  }
}

/** The attributes after the generic netlink header (empty when there is no reply). */
function topLevel(msg: NlMessage | undefined): AttrView {
  return msg ? new AttrView(msg.payload, GENL_HDRLEN) : new AttrView(Buffer.alloc(0));
}

function decodeNested(msg: NlMessage, type: number): AttrView | undefined {
  return topLevel(msg).nested(type);
}

function decodeDestinations(replies: readonly NlMessage[], family: Service['family']): Destination[] {
  const out: Destination[] = [];
  // Three views for the whole dump: message, destination, statistics.
  const top = new AttrView();
  const dest = new AttrView();
  const stats = new AttrView();
  for (const reply of replies) {
    const m = top.reset(reply.payload, GENL_HDRLEN).nestedInto(CmdAttr.DEST, dest);
    if (m) out.push(decodeDestination(m, family, stats));
  }
  return out;
}
