/**
 * HAProxy's proxies -> Layer 7 services, SSL terminations, certificates and health checks.
 *
 * A Layer 7 service is a listener and the servers behind it, so:
 * - each frontend (or listen) with plain binds becomes one service per address, with its
 *   default backend's servers (a listen's own); its `ssl crt` binds become SSL
 *   terminations that hand the decrypted traffic to that service;
 * - a backend that only use_backend rules reach, and a frontend with only ssl binds, still
 *   need a listener of their own in the model: they listen on 127.0.0.1 (local only) on a
 *   port from 61000 up that nothing else binds, which is noted;
 * - `use_backend B if ACL` becomes a URL rule to the service that has B's servers.
 */
import { filePath } from '../../model/primitives.js';
import type { ApplianceConfigInput, PortSpec } from '../../model/schema.js';
import { healthCheckSchema } from '../../model/schema.js';
import type { ImportNote } from '../contract.js';
import { importInvalid, Labels } from '../source-text.js';
import { type RuleValue, rulesOf } from './conditions.js';
import type { Bind, ProxySection, ServerLine } from './proxy.js';

type Layer7Input = NonNullable<ApplianceConfigInput['layer7']>[number];
type CheckInput = NonNullable<ApplianceConfigInput['healthChecks']>[number];
type SslInput = NonNullable<ApplianceConfigInput['ssl']>[number];
type CertificateInput = NonNullable<ApplianceConfigInput['certificates']>[number];

const LOOPBACK = '127.0.0.1';
const LOOPBACK_FIRST_PORT = 61000;

interface BackendParts {
  mode: 'http' | 'tcp';
  realServers: Layer7Input['realServers'];
  persistence?: Layer7Input['persistence'];
  healthCheck?: string;
  fallback?: Layer7Input['fallback'];
}

export interface Mapped {
  config: Partial<ApplianceConfigInput>;
  /** The source line each entry of a section came from (`lines.layer7[i]` for `layer7[i]`). */
  lines: Record<'layer7' | 'ssl' | 'certificates' | 'healthChecks', number[]>;
  /** Directive lines mapped here (ACLs and use_backend lines; the proxies count their own). */
  mapped: number;
}

export function mapProxies(file: string, proxies: readonly ProxySection[], notes: ImportNote[]): Mapped {
  const note = (line: number, directive: string, kind: ImportNote['kind'], message: string) =>
    notes.push({ file, line, directive, kind, message });
  const frontends = proxies.filter((p) => p.kind === 'frontend' || p.kind === 'listen');
  const backends = new Map<string, ProxySection>();
  const seenFrontends = new Map<string, ProxySection>();
  for (const proxy of proxies) {
    if (proxy.kind === 'defaults') continue;
    const clash = (map: Map<string, ProxySection>) => {
      const other = map.get(proxy.name);
      if (other)
        throw importInvalid(file, proxy.line, `a proxy named "${proxy.name}" is already at line ${other.line}`);
      map.set(proxy.name, proxy);
    };
    if (proxy.kind !== 'backend') clash(seenFrontends);
    if (proxy.kind !== 'frontend') clash(backends);
  }

  const labels = new Labels();
  const checkLabels = new Labels();
  const certificateLabels = new Labels();
  const layer7: Layer7Input[] = [];
  const healthChecks: CheckInput[] = [];
  const ssl: SslInput[] = [];
  const certificates: CertificateInput[] = [];
  const certificateByFile = new Map<string, string>();
  const parts = new Map<string, BackendParts>();
  /** Backend name -> the label of a service with its servers (a URL rule's target). */
  const serviceOf = new Map<string, string>();
  let mapped = 0;
  const lines: Mapped['lines'] = { layer7: [], ssl: [], certificates: [], healthChecks: [] };

  const usedPorts = new Set<number>();
  for (const proxy of frontends) {
    for (const bind of proxy.binds) {
      for (const spec of bind.ports) {
        const [from, to] = typeof spec === 'number' ? [spec, spec] : [spec.from, spec.to];
        if (to >= LOOPBACK_FIRST_PORT) for (let p = Math.max(from, LOOPBACK_FIRST_PORT); p <= to; p++) usedPorts.add(p);
      }
    }
  }
  let nextPort = LOOPBACK_FIRST_PORT;
  const loopbackPort = () => {
    while (usedPorts.has(nextPort)) nextPort++;
    usedPorts.add(nextPort);
    return nextPort;
  };

  const backendParts = (backend: ProxySection): BackendParts => {
    const known = parts.get(backend.name);
    if (known) return known;
    const made = readBackend(backend);
    parts.set(backend.name, made);
    return made;
  };

  function readBackend(backend: ProxySection): BackendParts {
    const mode = backend.mode?.value ?? 'tcp';
    const serverLabels = new Labels();
    const active = backend.servers.filter((s) => !s.backup);
    const backups = backend.servers.filter((s) => s.backup);
    const realServers = active.map((s) => ({
      label: serverLabels.make(s.name),
      address: s.address,
      ...(s.port === undefined ? {} : { port: s.port }),
      weight: s.weight ?? 1,
      maxConnections: s.maxconn ?? 0,
    }));
    let fallback: BackendParts['fallback'];
    backups.forEach((s, i) => {
      if (i === 0) {
        fallback = { address: s.address, ...(s.port === undefined ? {} : { port: s.port }) };
        note(
          s.line,
          'server',
          'lossy',
          'a backup server is the fallback server, which takes traffic when every real server is down, unchecked',
        );
      } else {
        note(s.line, 'server', 'lossy', 'the model has one fallback server: this further backup server is left out');
      }
    });
    const parts: BackendParts = { mode, realServers, ...(fallback ? { fallback } : {}) };
    const persistence = persistenceOf(backend, mode);
    if (persistence) parts.persistence = persistence;
    const check = healthCheckOf(backend, active);
    if (check) {
      healthChecks.push(check);
      lines.healthChecks.push(backend.line);
      parts.healthCheck = check.label;
    }
    return parts;
  }

  function persistenceOf(backend: ProxySection, mode: 'http' | 'tcp'): Layer7Input['persistence'] | undefined {
    const candidates: { line: number; directive: string; value: Layer7Input['persistence'] }[] = [];
    const { cookie, stickOnSrc, stickTable, rdpCookie, balance } = backend;
    if (cookie) {
      if (mode === 'http') {
        candidates.push({
          line: cookie.line,
          directive: 'cookie',
          value: {
            type: cookie.value.type === 'insert' ? 'cookie-insert' : 'passive-cookie',
            cookieName: cookie.value.name,
            ...(cookie.value.maxIdleSeconds === undefined || cookie.value.type !== 'insert'
              ? {}
              : { timeoutSeconds: cookie.value.maxIdleSeconds }),
          },
        });
      } else note(cookie.line, 'cookie', 'unsupported', 'cookie persistence needs mode http; left out');
    }
    if (stickOnSrc) {
      const timeout = stickTable?.value.expireSeconds;
      candidates.push({
        line: stickOnSrc.line,
        directive: 'stick on',
        value: { type: 'source-ip', ...(timeout === undefined ? {} : { timeoutSeconds: timeout }) },
      });
      if (!stickTable)
        note(stickOnSrc.line, 'stick on', 'lossy', 'no stick-table in this backend: the appliance keeps its own');
    } else if (stickTable) {
      note(
        stickTable.line,
        'stick-table',
        'unsupported',
        'nothing stores into this table (no "stick on src"); left out',
      );
    }
    if (rdpCookie) {
      if (mode === 'tcp')
        candidates.push({ line: rdpCookie.line, directive: 'persist', value: { type: 'rdp-cookie' } });
      else note(rdpCookie.line, 'persist', 'unsupported', 'RDP cookie persistence needs mode tcp; left out');
    }
    if (balance?.value === 'source') {
      candidates.push({ line: balance.line, directive: 'balance', value: { type: 'source-ip' } });
    }
    const [taken, ...others] = candidates;
    for (const other of others) {
      note(
        other.line,
        other.directive,
        'ambiguous',
        `the model persists one way per service: line ${taken?.line}'s persistence was taken`,
      );
    }
    return taken?.value;
  }

  function healthCheckOf(backend: ProxySection, servers: readonly ServerLine[]): CheckInput | undefined {
    const checked = servers.filter((s) => s.check);
    const first = checked[0];
    if (!first) {
      // The backend's own check settings (not its defaults'), which no server uses.
      for (const [setting, directive] of [
        [backend.httpCheck, 'option httpchk'],
        [backend.expectStatus, 'http-check'],
        [backend.checkTimeoutMs, 'timeout check'],
      ] as const) {
        if (setting && setting.line > backend.line) {
          note(setting.line, directive, 'unsupported', 'no server of this backend has "check"; left out');
        }
      }
      return undefined;
    }
    for (const s of servers) {
      if (!s.check)
        note(s.line, 'server', 'lossy', 'the model checks every server of a service: this one is checked too');
    }
    const differs = checked.some(
      (s) =>
        s.interMs !== first.interMs ||
        s.rise !== first.rise ||
        s.fall !== first.fall ||
        s.checkPort !== first.checkPort,
    );
    if (differs)
      note(
        first.line,
        'server',
        'lossy',
        "the model has one check per service: this server's timers and port are taken for all",
      );
    const interMs = first.interMs ?? 2000;
    const intervalSeconds = Math.min(3600, Math.max(1, Math.ceil(interMs / 1000)));
    if (interMs % 1000 !== 0)
      note(first.line, 'server', 'lossy', `the check interval ${interMs} ms is rounded up to ${intervalSeconds} s`);
    const timeoutMs = backend.checkTimeoutMs?.value;
    const timeoutSeconds =
      timeoutMs === undefined ? intervalSeconds : Math.min(3600, Math.max(1, Math.ceil(timeoutMs / 1000)));
    const http = backend.httpCheck;
    let path = http?.value.path;
    if (path !== undefined && !healthCheckSchema.shape.path.safeParse(path).success) {
      note(
        http?.line ?? first.line,
        'option httpchk',
        'lossy',
        `the check path ${JSON.stringify(path)} is not one the model takes; "/" is checked`,
      );
      path = '/';
    }
    return {
      label: checkLabels.make(`${backend.name}-check`),
      type: http ? (checked.some((s) => s.checkSsl) ? 'https' : 'http') : 'connect',
      intervalSeconds,
      timeoutSeconds,
      rise: first.rise ?? 2,
      fall: first.fall ?? 3,
      ...(first.checkPort === undefined ? {} : { port: first.checkPort }),
      ...(http ? { path: path ?? '/' } : {}),
      ...(http && backend.expectStatus ? { expectStatus: backend.expectStatus.value } : {}),
    };
  }

  const backendNamed = (name: string, line: number) => {
    const backend = backends.get(name);
    if (!backend) throw importInvalid(file, line, `no backend named "${name}"`);
    return backend;
  };

  /** The service made for a backend reached only through rules: local, on its own port. */
  const loopbackService = (backend: ProxySection): string => {
    const found = serviceOf.get(backend.name);
    if (found) return found;
    const label = labels.make(backend.name);
    const port = loopbackPort();
    const made = backendParts(backend);
    layer7.push(
      serviceInput(label, LOOPBACK, [port], made, made.mode === 'http' ? backend.forwardFor?.value === true : false),
    );
    serviceOf.set(backend.name, label);
    note(
      backend.line,
      backend.kind,
      'lossy',
      `only use_backend rules reach this backend, but every Layer 7 service listens: it listens on ${LOOPBACK}:${port}, local only`,
    );
    return label;
  };

  const pendingRules: { service: Layer7Input; proxy: ProxySection; first: boolean }[] = [];
  for (const proxy of frontends) {
    const mode = proxy.mode?.value ?? 'tcp';
    const backendName = proxy.kind === 'listen' && proxy.servers.length > 0 ? proxy.name : proxy.defaultBackend?.value;
    const backend =
      backendName === undefined ? undefined : backendNamed(backendName, proxy.defaultBackend?.line ?? proxy.line);
    const made: BackendParts = backend ? backendParts(backend) : { mode, realServers: [] };
    if (backend && made.mode !== mode) {
      throw importInvalid(
        file,
        proxy.defaultBackend?.line ?? proxy.line,
        `${proxy.name} is mode ${mode}, its backend ${backend.name} mode ${made.mode}`,
      );
    }
    const forwardFor = mode === 'http' && (proxy.forwardFor?.value === true || backend?.forwardFor?.value === true);
    const plain = new Map<string, Bind[]>();
    for (const bind of proxy.binds.filter((b) => !b.ssl))
      plain.set(bind.address, [...(plain.get(bind.address) ?? []), bind]);
    const secure = proxy.binds.filter((b) => b.ssl);
    if (plain.size === 0 && secure.length === 0) {
      note(proxy.line, proxy.kind, 'unsupported', 'listens nowhere (no bind the import can map); left out');
      continue;
    }
    let first: Layer7Input | undefined;
    for (const [address, binds] of plain) {
      const label = labels.make(first ? `${proxy.name}_${address}` : proxy.name);
      if (first)
        note(
          binds[0]?.line ?? proxy.line,
          'bind',
          'ambiguous',
          `a service has one VIP: ${address} is the service "${label}", with the same servers`,
        );
      const service = serviceInput(
        label,
        address,
        binds.flatMap((b) => b.ports),
        made,
        forwardFor,
      );
      layer7.push(service);
      lines.layer7.push(binds[0]?.line ?? proxy.line);
      pendingRules.push({ service, proxy, first: first === undefined });
      first ??= service;
    }
    if (!first) {
      const label = labels.make(proxy.name);
      const port = loopbackPort();
      first = serviceInput(label, LOOPBACK, [port], made, forwardFor);
      layer7.push(first);
      lines.layer7.push(proxy.line);
      pendingRules.push({ service: first, proxy, first: true });
      note(
        proxy.line,
        proxy.kind,
        'lossy',
        `only ssl binds: the service behind the SSL terminations listens on ${LOOPBACK}:${port}, local only`,
      );
    }
    if (backend && !serviceOf.has(backend.name)) serviceOf.set(backend.name, first.label);
    for (const bind of secure) terminations(bind, proxy, first.label);
  }

  function terminations(bind: Bind, proxy: ProxySection, service: string) {
    const [crt, ...more] = bind.ssl ?? [];
    if (crt === undefined) return;
    if (more.length > 0)
      note(
        bind.line,
        'bind',
        'lossy',
        `an SSL termination has one certificate: ${crt} is used, ${more.join(', ')} left out`,
      );
    if (!filePath.safeParse(crt).success) {
      note(
        bind.line,
        'bind',
        'unsupported',
        `the certificate ${JSON.stringify(crt)} is not an absolute path the appliance takes; the SSL listener is left out`,
      );
      return;
    }
    let certificate = certificateByFile.get(crt);
    if (!certificate) {
      const base = crt.slice(crt.lastIndexOf('/') + 1).replace(/\.(pem|crt)$/, '');
      certificate = certificateLabels.make(base || 'certificate');
      certificateByFile.set(crt, certificate);
      certificates.push({ label: certificate, file: crt });
      lines.certificates.push(bind.line);
    }
    for (const spec of bind.ports) {
      if (typeof spec !== 'number') {
        note(
          bind.line,
          'bind',
          'unsupported',
          `an SSL termination listens on one port: the range ${spec.from}-${spec.to} is left out`,
        );
        continue;
      }
      ssl.push({ label: labels.make(`${proxy.name}-ssl`), certificate, vip: bind.address, port: spec, service });
      lines.ssl.push(bind.line);
    }
  }

  const usedAclLines = new Set<number>();
  for (const { service, proxy, first } of pendingRules) {
    const rules: RuleValue[][] = [];
    const targets: string[] = [];
    for (const use of proxy.useBackends) {
      const target = backendNamed(use.backend, use.line);
      const found = rulesOf(use, proxy);
      if ('undefinedAcl' in found && found.undefinedAcl !== undefined)
        throw importInvalid(file, use.line, found.reason);
      if ('reason' in found) {
        if (first) {
          note(use.line, 'use_backend', 'unsupported', `${found.reason}; left out`);
        }
        continue;
      }
      if (service.mode === 'tcp') {
        if (first) {
          note(use.line, 'use_backend', 'unsupported', 'URL rules need mode http; left out');
        }
        continue;
      }
      if (backendParts(target).mode !== 'http') throw importInvalid(file, use.line, `${use.backend} is not mode http`);
      rules.push(found.rules);
      targets.push(serviceOf.get(target.name) ?? loopbackService(target));
      if (first) {
        mapped++;
        for (const line of found.aclLines) usedAclLines.add(line);
      }
    }
    service.urlRules = rules.flatMap((list, i) => list.map((r) => ({ ...r, service: targets[i] as string })));
  }
  for (const proxy of proxies) {
    for (const [, definitions] of proxy.acls) {
      for (const d of definitions) {
        if (usedAclLines.has(d.line)) mapped++;
        else note(d.line, 'acl', 'unsupported', 'used by no rule the import maps; left out');
      }
    }
  }
  for (const backend of backends.values()) {
    if (backend.kind === 'backend' && !parts.has(backend.name)) {
      note(backend.line, 'backend', 'unsupported', 'no frontend uses this backend; left out');
    }
  }

  const config: Partial<ApplianceConfigInput> = {};
  if (layer7.length > 0) config.layer7 = layer7;
  if (ssl.length > 0) config.ssl = ssl;
  if (certificates.length > 0) config.certificates = certificates;
  if (healthChecks.length > 0) config.healthChecks = healthChecks;
  return { config, lines, mapped };
}

function serviceInput(
  label: string,
  vip: string,
  ports: PortSpec[],
  parts: BackendParts,
  forwardFor: boolean,
): Layer7Input {
  return {
    label,
    vip,
    ports,
    mode: parts.mode,
    ...(parts.persistence ? { persistence: parts.persistence } : {}),
    urlRules: [],
    xForwardedFor: forwardFor,
    ...(parts.healthCheck ? { healthCheck: parts.healthCheck } : {}),
    ...(parts.fallback ? { fallback: parts.fallback } : {}),
    realServers: (parts.realServers ?? []).map((server) => ({ ...server })),
  };
}
