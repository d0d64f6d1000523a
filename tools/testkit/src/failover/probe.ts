import { join } from 'node:path';
import type { Host } from '../netns/host.js';
import { SERVERS_DIR } from '../paths.js';

/** What the client saw: the longest silence between two replies, who answered before and after it. */
export interface OutageProbeResult {
  gapMs: number;
  before: string | undefined;
  after: string | undefined;
  sent: number;
  replies: number;
  lastFrom: string | undefined;
}

/**
 * Starts the client's probe: a UDP datagram to `address:port` every `intervalMs` for
 * `durationMs` (servers/udp-probe.mjs). Resolves once replies flow, with the result to come.
 */
export async function startProbe(
  client: Host,
  address: string,
  port: number,
  options: { intervalMs?: number; durationMs?: number } = {},
): Promise<{ result: Promise<OutageProbeResult> }> {
  const probe = client.spawn(process.execPath, [
    join(SERVERS_DIR, 'udp-probe.mjs'),
    address,
    String(port),
    String(options.intervalMs ?? 10),
    String(options.durationMs ?? 5000),
  ]);
  await probe.waitForLine('READY', 10_000);
  const result = probe
    .waitForLine('{', (options.durationMs ?? 5000) + 30_000)
    .then((line) => JSON.parse(`{${line}`) as OutageProbeResult);
  // Awaited by the caller after the trial's kill; a probe that dies meanwhile must not be
  // an unhandled rejection first.
  result.catch(() => undefined);
  return { result };
}
