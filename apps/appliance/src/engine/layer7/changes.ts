import type { Backend, Frontend, HaproxyConfig } from '@sluice/haproxy-config';

function listeners(frontend: Frontend): string {
  return frontend.binds
    .map((b) => {
      const host = b.address.includes(':') ? `[${b.address}]` : b.address;
      const ports =
        b.ports.length > 4 ? `${b.ports[0]}..${b.ports.at(-1)} (${b.ports.length} ports)` : b.ports.join(',');
      return `${host}:${ports}`;
    })
    .join(' ');
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const isSsl = (f: Frontend) => f.binds.some((b) => b.tls !== undefined);

/**
 * What a new model changes against the running one, in the words of the configuration:
 * services, SSL terminations and real servers added, removed or changed.
 */
export function describeModelChanges(before: HaproxyConfig | undefined, after: HaproxyConfig): string[] {
  const lines: string[] = [];
  const oldFrontends = new Map((before?.frontends ?? []).map((f) => [f.name, f]));
  const oldBackends = new Map((before?.backends ?? []).map((b) => [b.name, b]));
  const newFrontends = new Map(after.frontends.map((f) => [f.name, f]));
  const newBackends = new Map(after.backends.map((b) => [b.name, b]));

  for (const frontend of after.frontends) {
    const what = isSsl(frontend) ? 'SSL termination' : 'service';
    const old = oldFrontends.get(frontend.name);
    const summary = `${listeners(frontend)} ${frontend.mode ?? 'http'} -> ${frontend.defaultBackend ?? '-'}`;
    if (old === undefined) lines.push(`layer7: add ${what} ${frontend.name} (${summary})`);
    else if (!same(old, frontend)) lines.push(`layer7: change ${what} ${frontend.name} (${summary})`);
  }
  for (const [name, frontend] of oldFrontends) {
    if (!newFrontends.has(name))
      lines.push(`layer7: remove ${isSsl(frontend) ? 'SSL termination' : 'service'} ${name}`);
  }
  for (const backend of after.backends) {
    const old = oldBackends.get(backend.name);
    if (old === undefined) continue; // described with its service
    const { servers: oldServers, ...oldRest } = old;
    const { servers, ...rest } = backend;
    if (!same(oldRest, rest)) lines.push(`layer7: change balancing, persistence or health check of ${backend.name}`);
    lines.push(...serverChanges(backend.name, oldServers, servers));
  }
  for (const name of oldBackends.keys()) {
    if (!newBackends.has(name) && newFrontends.has(name)) lines.push(`layer7: remove real servers of ${name}`);
  }
  return lines;
}

function serverChanges(backend: string, before: Backend['servers'], after: Backend['servers']): string[] {
  const lines: string[] = [];
  const old = new Map(before.map((s) => [s.name, s]));
  const fresh = new Set(after.map((s) => s.name));
  for (const server of after) {
    const target = `${server.address}${server.port === undefined ? '' : `:${server.port}`}`;
    const previous = old.get(server.name);
    if (previous === undefined) lines.push(`layer7: add real server ${backend}/${server.name} (${target})`);
    else if (!same(previous, server)) lines.push(`layer7: change real server ${backend}/${server.name} (${target})`);
  }
  for (const name of old.keys()) if (!fresh.has(name)) lines.push(`layer7: remove real server ${backend}/${name}`);
  return lines;
}

const WEIGHT = /^( {4}server \S+ \S+) weight \d+/gm;

/** The two texts differ in server weights only: the runtime API can make the change without a reload. */
export function differsInWeightsOnly(before: string, after: string): boolean {
  return before !== after && before.replace(WEIGHT, '$1') === after.replace(WEIGHT, '$1');
}
