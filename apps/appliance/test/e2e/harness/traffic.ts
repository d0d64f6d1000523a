import { fileURLToPath } from 'node:url';
import { Host, type NamespaceProcess } from '@sluice/testkit';
import type { LabTopology } from '../../../src/lab/index.js';
import { until } from './appliance.js';

const COUNT = fileURLToPath(new URL('../fixtures/count.mjs', import.meta.url));
const HOLD = fileURLToPath(new URL('../fixtures/hold.mjs', import.meta.url));

export interface Tally {
  /** Answers per page name (`alpha_server`: 2). */
  names: Record<string, number>;
  /** In the order they came, failures as `error: ...`. */
  order: string[];
  errors: number;
  lastError?: string;
}

export function clients(topology: LabTopology): Host[] {
  return topology.hosts.filter((h) => h.role === 'client').map((h) => new Host(h.label, h.netns));
}

/** `count` GETs from a client namespace, each on a new connection; failures counted. */
export async function tally(client: Host, url: string, count: number, timeoutMs = 3_000): Promise<Tally> {
  const { stdout } = await client.node(COUNT, [url, String(count), String(timeoutMs)], count * timeoutMs + 30_000);
  return JSON.parse(stdout) as Tally;
}

/** Answers from every client: one tally per client, in the topology's order. */
export async function tallyAll(topology: LabTopology, url: string, count: number): Promise<Tally[]> {
  const out: Tally[] = [];
  for (const client of clients(topology)) out.push(await tally(client, url, count));
  return out;
}

/** Waits until `count` requests from the client all succeed and satisfy `accept`. */
export async function untilTraffic(
  what: string,
  client: Host,
  url: string,
  count: number,
  accept: (t: Tally) => boolean,
  timeoutMs = 30_000,
): Promise<Tally> {
  let last: Tally | undefined;
  return until(
    what,
    async () => {
      last = await tally(client, url, count, 2_000);
      return last.errors === 0 && accept(last) ? last : undefined;
    },
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last tally: ${JSON.stringify(last)}`);
  });
}

/** A client holding one keep-alive connection, asking every `intervalMs`; one answer may take `timeoutMs`. */
export async function holdConnection(
  client: Host,
  url: string,
  intervalMs = 200,
  timeoutMs = 5_000,
): Promise<NamespaceProcess> {
  const held = client.spawn(process.execPath, [HOLD, url, String(intervalMs), String(timeoutMs)]);
  await held.waitForLine('OK 1 ', 15_000);
  return held;
}

/** The answers a held connection has had so far. */
export function heldAnswers(held: NamespaceProcess): { count: number; servers: Set<string>; error?: string } {
  const lines = held.log.split('\n');
  const oks = lines.filter((l) => l.startsWith('OK '));
  const error = lines.find((l) => l.startsWith('ERROR '));
  return {
    count: oks.length,
    servers: new Set(oks.map((l) => l.split(' ')[2] ?? '')),
    ...(error ? { error } : {}),
  };
}
