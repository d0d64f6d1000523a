import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { netnsWorkerSource, openRawNetlink } from '@sluice/linux/netlink';
import type { RawNetlinkSocket } from 'netlink';
import { IpvsError } from '../errors.js';
import { NETLINK_GENERIC } from './message.js';

/**
 * The only thing that touches the kernel: a generic netlink socket that sends datagrams
 * (one or more messages each) and hands back what the kernel sends. Everything above it
 * (codecs, requests, batching, errors) is ours and is tested against a fake transport.
 */
export interface NetlinkTransport {
  /** The socket's port: the kernel addresses replies to it. */
  readonly port: number;
  send(datagram: Buffer): void;
  onMessage(handler: (datagram: Buffer) => void): void;
  onError(handler: (error: Error) => void): void;
  /** Where this socket's network namespace shows its /proc/net files. */
  readonly procNet: string;
  close(): void;
  /**
   * Opens another socket like this one (same namespace), for dumps in parallel. Optional:
   * without it a client runs its dumps one at a time on this socket.
   */
  openSibling?(): NetlinkTransport;
}

/** Room for the acknowledgements and errors of a whole batch; capped by net.core.rmem_max. */
const BUFFER_BYTES = 4 * 1024 * 1024;

/** A netlink socket in this process's network namespace. */
export class LocalTransport implements NetlinkTransport {
  readonly procNet = '/proc/self/net';
  private readonly socket: RawNetlinkSocket;
  private errorHandler: (error: Error) => void = () => undefined;

  constructor() {
    try {
      this.socket = openRawNetlink(
        NETLINK_GENERIC,
        { bufferBytes: BUFFER_BYTES },
        {
          error: (error) => this.errorHandler(error),
          truncated: () => this.errorHandler(new IpvsError('IPVS_PROTOCOL', 'a netlink datagram was truncated')),
        },
      );
    } catch (cause) {
      throw new IpvsError('IPVS_TRANSPORT', `cannot open a generic netlink socket: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  get port(): number {
    return this.socket.address().port;
  }

  openSibling(): NetlinkTransport {
    return new LocalTransport();
  }

  send(datagram: Buffer): void {
    this.socket.send(datagram, {}, (error) => {
      if (error) this.errorHandler(error);
    });
  }

  onMessage(handler: (datagram: Buffer) => void): void {
    this.socket.on('message', (msg) => handler(msg));
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandler = handler;
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * The worker that holds the socket inside another namespace (@sluice/linux's netlink
 * workarounds). Each datagram is read into a buffer of its own size (peeking): a fixed
 * 64 KiB buffer per datagram made a 1,000-service list about 1.5x slower in the rig's kernel.
 */
const WORKER = netnsWorkerSource(NETLINK_GENERIC, { bufferBytes: BUFFER_BYTES, messagePeeking: true });

/**
 * A netlink socket inside a named network namespace (`ip netns add NAME`): a small worker
 * process holds it there (a socket belongs to the namespace it was opened in, and Node
 * cannot switch a thread's namespace) and relays datagrams over its stdio.
 */
export class NamespaceTransport implements NetlinkTransport {
  readonly netns: string;
  private readonly child: ChildProcess;
  private messageHandler: (datagram: Buffer) => void = () => undefined;
  private errorHandler: (error: Error) => void = () => undefined;
  private workerPort = 0;

  private constructor(netns: string, child: ChildProcess) {
    this.netns = netns;
    this.child = child;
  }

  static open(netns: string, timeoutMs = 10_000): Promise<NamespaceTransport> {
    if (!/^[A-Za-z0-9_.-]{1,200}$/.test(netns) || netns.startsWith('.')) {
      return Promise.reject(
        new IpvsError('IPVS_INVALID_FIELD', `network namespace name ${JSON.stringify(netns)} is not valid`, {
          field: 'netns',
        }),
      );
    }
    const netlinkEntry = createRequire(import.meta.url).resolve('netlink');
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', WORKER, netlinkEntry], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const transport = new NamespaceTransport(netns, child);
    return transport.start(timeoutMs);
  }

  private start(timeoutMs: number): Promise<NamespaceTransport> {
    return new Promise((resolve, reject) => {
      let stderr = '';
      let pending: Buffer = Buffer.alloc(0);
      const fail = (message: string, cause?: unknown) => {
        clearTimeout(timer);
        this.child.kill('SIGKILL');
        reject(new IpvsError('IPVS_TRANSPORT', `netlink worker in namespace ${this.netns}: ${message}`, { cause }));
      };
      const timer = setTimeout(() => fail(`no answer in ${timeoutMs} ms ${stderr}`), timeoutMs);
      this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-4000);
      });
      this.child.once('error', (error) => fail(error.message, error));
      this.child.once('exit', (code) => {
        if (this.workerPort === 0) fail(`exited (${code}): ${stderr.trim()}`);
        else this.errorHandler(new IpvsError('IPVS_TRANSPORT', `netlink worker exited (${code}): ${stderr.trim()}`));
      });
      this.child.stdout?.on('data', (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        while (pending.length >= 5) {
          const len = pending.readUInt32LE(1);
          if (pending.length < 5 + len) break;
          const tag = String.fromCharCode(pending[0] ?? 0);
          const body = pending.subarray(5, 5 + len);
          pending = pending.subarray(5 + len);
          if (tag === 'P') {
            this.workerPort = body.readUInt32LE(0);
            clearTimeout(timer);
            this.child.unref();
            for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) {
              (s as unknown as { unref?: () => void } | null)?.unref?.();
            }
            resolve(this);
          } else if (tag === 'D') {
            this.messageHandler(Buffer.from(body));
          } else {
            this.errorHandler(new IpvsError('IPVS_TRANSPORT', `netlink socket in ${this.netns}: ${body.toString()}`));
          }
        }
      });
    });
  }

  get port(): number {
    return this.workerPort;
  }

  get procNet(): string {
    return `/proc/${this.child.pid}/net`;
  }

  send(datagram: Buffer): void {
    const header = Buffer.alloc(4);
    header.writeUInt32LE(datagram.length);
    this.child.stdin?.write(Buffer.concat([header, datagram]));
  }

  onMessage(handler: (datagram: Buffer) => void): void {
    this.messageHandler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandler = handler;
  }

  close(): void {
    this.child.stdin?.end();
    this.child.kill('SIGKILL');
  }
}
