/**
 * A client of BIRD 2's control socket (`bird -s PATH`), so that the appliance needs no
 * `birdc` binary and no shell. The protocol is lines: BIRD greets with `0001 BIRD x ready.`;
 * each reply line is `NNNN-text` (more follows), `NNNN text` (the last line), or ` text`
 * (one more line of the code before). Codes 0xxx are done, 1xxx/2xxx data, 8xxx/9xxx errors.
 * One connection per request: BIRD keeps no state between commands that the appliance uses,
 * and a request that times out cannot leave a half-read reply for the next one.
 */
import { connect, type Socket } from 'node:net';
import { ApplianceError } from '../../errors.js';

export interface BirdReplyLine {
  code: number;
  text: string;
}

export interface BirdProtocol {
  name: string;
  /** `BGP`, `Static`, `Device`, ... */
  protocol: string;
  table: string;
  /** BIRD's protocol state: `up`, `start`, `down`, ... */
  state: string;
  /** When the state last changed, as BIRD prints it (`2026-12-07 15:53:49.017` with the file's timeformat). */
  since: string;
  info: string;
}

export interface BgpSession extends BirdProtocol {
  /** The BGP finite state machine's state: `Established`, `Active`, `Connect`, `Idle`, ... */
  bgpState: string;
}

export interface ExportedRoute {
  /** `203.0.113.10/32` */
  prefix: string;
  /** Standard communities after the export filter, as `65535:0`. */
  communities: string[];
}

export interface BirdControlOptions {
  socketPath: string;
  /** For each request, connect to last line (default 5 s). */
  timeoutMs?: number | undefined;
}

const failed = (message: string, cause?: unknown) =>
  new ApplianceError('BGP_CONTROL_FAILED', message, cause === undefined ? {} : { cause });

/**
 * Splits what the socket sends into replies. Feed it chunks in order; it returns each reply
 * once its last line has arrived (a chunk may hold part of a line or several replies).
 */
export class BirdReplyReader {
  private buffered = '';
  private lines: BirdReplyLine[] = [];
  private lastCode = 0;

  feed(chunk: string): BirdReplyLine[][] {
    this.buffered += chunk;
    const done: BirdReplyLine[][] = [];
    let newline = this.buffered.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      newline = this.buffered.indexOf('\n');
      const match = /^(\d{4})([- ])(.*)$/.exec(line);
      if (match) {
        this.lastCode = Number(match[1]);
        this.lines.push({ code: this.lastCode, text: match[3] ?? '' });
        if (match[2] === ' ') {
          done.push(this.lines);
          this.lines = [];
        }
      } else if (line.startsWith(' ')) {
        this.lines.push({ code: this.lastCode, text: line.slice(1) });
      } else if (line.startsWith('+')) {
        // An asynchronous message (`+NNNN text`), not part of any reply.
      } else {
        throw failed(`BIRD sent a line that is not of its control protocol: ${JSON.stringify(line.slice(0, 200))}`);
      }
    }
    return done;
  }
}

const isError = (code: number) => code >= 8000;
const replyText = (lines: readonly BirdReplyLine[]) =>
  lines.map((l) => `${String(l.code).padStart(4, '0')} ${l.text}`.trim()).join('; ');

export class BirdControl {
  readonly socketPath: string;
  readonly timeoutMs: number;

  constructor(options: BirdControlOptions) {
    this.socketPath = options.socketPath;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /**
   * Sends one command and returns its reply's lines; BGP_CONTROL_FAILED if BIRD answers with
   * an error code, closes, or takes longer than the timeout.
   */
  request(command: string): Promise<BirdReplyLine[]> {
    if (!/^[\x20-\x7e]{1,1000}$/.test(command)) {
      return Promise.reject(failed(`not a BIRD command: ${JSON.stringify(command.slice(0, 100))}`));
    }
    return new Promise((resolve, reject) => {
      const reader = new BirdReplyReader();
      let greeted = false;
      let socket: Socket | undefined;
      const finish = (error: Error | undefined, lines?: BirdReplyLine[]) => {
        clearTimeout(timer);
        socket?.destroy();
        if (error) reject(error);
        else resolve(lines ?? []);
      };
      const timer = setTimeout(
        () => finish(failed(`BIRD at ${this.socketPath} did not answer "${command}" within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      socket = connect(this.socketPath);
      socket.setEncoding('utf8');
      socket.on('error', (error) =>
        finish(failed(`BIRD's control socket ${this.socketPath}: ${error.message}`, error)),
      );
      socket.on('close', () => finish(failed(`BIRD closed its control socket before answering "${command}"`)));
      socket.on('data', (chunk: string) => {
        let replies: BirdReplyLine[][];
        try {
          replies = reader.feed(chunk);
        } catch (error) {
          finish(error as Error);
          return;
        }
        for (const lines of replies) {
          if (!greeted) {
            greeted = true;
            if (lines.at(-1)?.code !== 1) {
              finish(failed(`BIRD greeted with "${replyText(lines)}", not 0001`));
              return;
            }
            socket?.write(`${command}\n`);
            continue;
          }
          const last = lines.at(-1);
          if (last && isError(last.code)) finish(failed(`BIRD refused "${command}": ${replyText(lines)}`));
          else finish(undefined, lines);
          return;
        }
      });
    });
  }

  /**
   * Checks the configuration file, then applies it. BIRD re-reads the whole file but restarts
   * only the protocols whose own settings changed; a changed route or filter is reloaded
   * into the running sessions. `file` defaults to the one BIRD was started with.
   */
  async configure(file?: string): Promise<void> {
    if (file !== undefined && !/^\/[A-Za-z0-9._/+-]{1,4095}$/.test(file)) {
      throw failed(`${JSON.stringify(file)} is not an absolute path of letters, digits and ._/+-`);
    }
    const suffix = file === undefined ? '' : ` "${file}"`;
    const check = await this.request(`configure check${suffix}`);
    if (check.at(-1)?.code !== 20) throw failed(`BIRD's configuration check failed: ${replyText(check)}`);
    const applied = await this.request(`configure${suffix}`);
    // 0003 reconfigured; 0004 in progress (old protocols still stopping); 0005 queued behind one in progress.
    if (![3, 4, 5].includes(applied.at(-1)?.code ?? -1)) {
      throw failed(`BIRD did not apply its configuration: ${replyText(applied)}`);
    }
  }

  async protocols(): Promise<BirdProtocol[]> {
    const lines = await this.request('show protocols');
    return lines.filter((l) => l.code === 1002).map((l) => parseProtocolLine(l.text));
  }

  /** Every BGP protocol (one per peer) with its session state. */
  async bgpSessions(): Promise<BgpSession[]> {
    return (await this.protocols())
      .filter((p) => p.protocol === 'BGP')
      .map((p) => ({ ...p, bgpState: p.info.split(' ')[0] ?? '' }));
  }

  /**
   * The routes BIRD sends a peer now, after the export filter (`show route export P.C all`).
   * Empty while the session is not established: BIRD exports only to a running channel.
   */
  async exportedRoutes(protocol: string, channel: 'ipv4' | 'ipv6'): Promise<ExportedRoute[]> {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(protocol)) throw failed(`not a BIRD protocol name: ${protocol}`);
    return parseRoutes(await this.request(`show route export ${protocol}.${channel} all`));
  }
}

const DATE = /^\d{4}-\d\d-\d\d$/;
const TIME = /^\d\d:\d\d(:\d\d(\.\d+)?)?$/;

/** `peer1      BGP        ---        up     2026-12-07 15:53:49.017  Established` */
export function parseProtocolLine(text: string): BirdProtocol {
  const words = text.trim().split(/\s+/);
  const [name = '', protocol = '', table = '', state = ''] = words;
  let rest = words.slice(4);
  let since = rest[0] ?? '';
  rest = rest.slice(1);
  if (DATE.test(since) && rest[0] !== undefined && TIME.test(rest[0])) {
    since = `${since} ${rest[0]}`;
    rest = rest.slice(1);
  }
  return { name, protocol, table, state, since, info: rest.join(' ') };
}

/** Routes (code 1007, a line that starts with a prefix) and their communities (1012 `BGP.community:`). */
export function parseRoutes(lines: readonly BirdReplyLine[]): ExportedRoute[] {
  const routes: ExportedRoute[] = [];
  for (const line of lines) {
    if (line.code === 1007) {
      const prefix = /^([0-9a-fA-F:.]+\/\d{1,3})\s/.exec(`${line.text.trimStart()} `)?.[1];
      if (prefix) routes.push({ prefix, communities: [] });
    } else if (line.code === 1012) {
      const communities = /^\s*BGP\.community:(.*)$/.exec(line.text)?.[1];
      const route = routes.at(-1);
      if (communities !== undefined && route) {
        for (const m of communities.matchAll(/\((\d+),\s*(\d+)\)/g)) route.communities.push(`${m[1]}:${m[2]}`);
      }
    }
  }
  return routes;
}
