// Benchmark: how soon an announcement (gratuitous ARP) leaves, with the Node frame helper
// (AF_PACKET through koffi) beside the Python helper it replaced (the same protocol, stdlib
// socket). In a namespace of its own with a veth pair: the helper's start to "ready"
// (a takeover waits for it when the helper was not warm), then the round trip of one frame
// (write the line, the helper sends, "ok" read back), median and p99 of many.
// Usage (root): node bench/announce.ts [FRAMES=500] [STARTS=10]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gratuitousArp } from '../dist/index.js';

const frames = Number(process.argv[2] ?? 500);
const starts = Number(process.argv[3] ?? 10);
const NS = 'sluice-announce-bench';
const NODE_HELPER = fileURLToPath(new URL('../dist/frame-helper.js', import.meta.url));
// The helper before this change, kept here only as the comparison.
const PYTHON_HELPER = `
import socket, sys
socks = {}
print("ready", flush=True)
for line in sys.stdin:
    try:
        ifname, frame = line.split()
        s = socks.get(ifname)
        if s is None:
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((ifname, 0))
            socks[ifname] = s
        s.send(bytes.fromhex(frame))
        print("ok", flush=True)
    except Exception as e:
        socks.pop(ifname, None)
        print("error", type(e).__name__, str(e), flush=True)
`;
const helpers: Record<string, string[]> = {
  node: [process.execPath, NODE_HELPER],
  python3: ['python3', '-I', '-u', '-c', PYTHON_HELPER],
};

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });
const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};

/** The helper in the namespace, and a reader of its answer lines. */
function start(argv: string[]): { child: ChildProcess; next: () => Promise<string> } {
  const child = spawn('ip', ['netns', 'exec', NS, ...argv], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const next = () =>
    new Promise<string>((resolve) => {
      const line = lines.shift();
      if (line !== undefined) resolve(line);
      else waiting.push(resolve);
    });
  return { child, next };
}

async function measure(name: string, argv: string[]) {
  const startMs: number[] = [];
  for (let i = 0; i < starts; i++) {
    const at = process.hrtime.bigint();
    const { child, next } = start(argv);
    if ((await next()) !== 'ready') throw new Error(`${name}: no ready`);
    startMs.push(ms(at));
    child.stdin?.end();
  }
  const { child, next } = start(argv);
  await next();
  const line = `d0 ${gratuitousArp(Buffer.from('020000000001', 'hex'), '192.0.2.10').toString('hex')}\n`;
  const roundTrip: number[] = [];
  for (let i = 0; i < frames; i++) {
    const at = process.hrtime.bigint();
    child.stdin?.write(line);
    const answer = await next();
    if (answer !== 'ok') throw new Error(`${name}: ${answer}`);
    roundTrip.push(ms(at));
  }
  child.stdin?.end();
  return {
    helper: name,
    startMedianMs: quantile(startMs, 0.5),
    frameMedianMs: quantile(roundTrip, 0.5),
    frameP99Ms: quantile(roundTrip, 0.99),
  };
}

try {
  ip('netns', 'del', NS);
} catch {
  // none left from a crashed run
}
ip('netns', 'add', NS);
try {
  ip('-n', NS, 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
  ip('-n', NS, 'link', 'set', 'd0', 'up');
  ip('-n', NS, 'link', 'set', 'd1', 'up');
  const results = [];
  for (const [name, argv] of Object.entries(helpers)) results.push(await measure(name, argv));
  const [ours, theirs] = results as [(typeof results)[number], (typeof results)[number]];
  console.log(
    JSON.stringify(
      {
        bench: `announcement helper (start to ready over ${starts} starts; one frame's round trip over ${frames})`,
        results,
        ratios: {
          start: ours.startMedianMs / theirs.startMedianMs,
          frameMedian: ours.frameMedianMs / theirs.frameMedianMs,
        },
      },
      null,
      2,
    ),
  );
} finally {
  ip('netns', 'del', NS);
}
