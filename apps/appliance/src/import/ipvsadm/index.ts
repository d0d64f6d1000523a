/**
 * The ipvsadm importer (#23): an `ipvsadm -S` / `-Sn` save, an `ipvsadm -R` file or a shell
 * script of `ipvsadm` lines -> Layer 4 services. Each IPVS service becomes one service,
 * written so that the engine's IPVS table for it is the same table (the adoption without
 * writes depends on it): ports, scheduler, persistence and its netmask, weights and
 * thresholds as they are. What the model cannot hold is noted at its line.
 *
 * ipvsadm has no includes: only the named file is read, up to MAX_IMPORT_BYTES.
 */
import { canonicalAddress, type DestinationSpec } from '@sluice/ipvs';
import type { Layer4RealServer, Layer4Service } from '../../model/schema.js';
import { validateConfig } from '../../model/validate.js';
import { type Importer, type ImportNote, MAX_IMPORT_BYTES } from '../contract.js';
import { addressPart, importInvalid, Labels, readBounded } from '../source-text.js';
import { readTable, type TableService } from './table.js';

/** 16 MiB: a save of 10,000 services with 10 real servers each is about 6 MiB. */
/** The model's longest persistence (a year); IPVS takes any u32. */
const PERSISTENCE_MAX = 31536000;

type Input = Omit<Layer4Service, 'realServers'> & { realServers: Layer4RealServer[] };

function baseLabel(spec: TableService['spec']): string {
  if (spec.fwmark !== undefined) return `vs_fwmark_${spec.fwmark}${spec.family === 6 ? '_v6' : ''}`;
  const base = `vs_${addressPart(canonicalAddress(spec.address))}_${spec.port}`;
  return spec.protocol === 'tcp' ? base : `${base}_${spec.protocol}`;
}

function realServer(dest: DestinationSpec, servicePort: number | undefined, labels: Labels): Layer4RealServer {
  // The engine gives a server without a port the virtual port (or the client's, on port 0
  // and firewall marks): leaving it out where that is the same keeps the table the same.
  const port = dest.port === 0 || dest.port === servicePort ? undefined : dest.port;
  return {
    label: labels.make(`rs_${addressPart(canonicalAddress(dest.address))}_${dest.port}`),
    address: dest.address,
    ...(port === undefined ? {} : { port }),
    weight: dest.weight ?? 1,
    minConnections: dest.lowerThreshold ?? 0,
    maxConnections: dest.upperThreshold ?? 0,
  };
}

function layer4Of(file: string, service: TableService, labels: Labels, notes: ImportNote[]): Input | undefined {
  const { spec, line } = service;
  const note = (at: number, directive: string, kind: ImportNote['kind'], message: string) =>
    notes.push({ file, line: at, directive, kind, message });
  if (spec.protocol === 'sctp') {
    note(
      line,
      '--sctp-service',
      'unsupported',
      'SCTP services are not in the model; the service and its real servers are left out',
    );
    return undefined;
  }
  if (spec.schedulerFlags) {
    note(line, '-b', 'lossy', 'scheduler flags are not in the model; the scheduler runs without them');
  }
  if (spec.onePacket) note(line, '-o', 'lossy', 'one-packet scheduling is not in the model; left out');
  if (spec.persistenceEngine) {
    note(
      line,
      '--pe',
      'unsupported',
      `the persistence engine "${spec.persistenceEngine}" is not in the model; left out`,
    );
  }
  const family = spec.fwmark !== undefined ? spec.family : spec.address.includes(':') ? 6 : 4;
  let persistence: Layer4Service['persistence'];
  if (spec.persistence) {
    let timeout = spec.persistence.timeout;
    if (timeout > PERSISTENCE_MAX) {
      note(
        line,
        '-p',
        'lossy',
        `a persistence of ${timeout} s is more than the model's ${PERSISTENCE_MAX} s; shortened`,
      );
      timeout = PERSISTENCE_MAX;
    }
    const mask = spec.persistence.netmask;
    persistence = {
      timeoutSeconds: timeout,
      ...(mask === undefined || mask === (family === 6 ? 128 : 32) ? {} : { granularity: mask }),
    };
  }
  const destinations = [...service.destinations.values()];
  const forwarding = destinations[0]?.spec.forwarding ?? 'dr';
  const serverLabels = new Labels();
  const realServers: Layer4RealServer[] = [];
  const servicePort = spec.fwmark === undefined ? spec.port : undefined;
  for (const { spec: dest, line: at } of destinations) {
    let server = dest;
    if ((dest.forwarding ?? 'dr') !== forwarding) {
      // DR and TUN cannot translate ports: a NAT server's own port cannot follow it there.
      const translated = forwarding !== 'nat' && dest.port !== 0 && dest.port !== servicePort;
      if (translated) server = { ...dest, port: servicePort ?? 0 };
      note(
        at,
        '-a',
        'ambiguous',
        `this real server forwards by ${dest.forwarding ?? 'dr'}, the service's first by ${forwarding}; the model has one method per service, ${forwarding} was taken${translated ? ` and the port ${dest.port} left out (${forwarding.toUpperCase()} cannot translate ports)` : ''}`,
      );
    }
    if (dest.tunnel) {
      note(
        at,
        '--tun-type',
        'lossy',
        `the ${dest.tunnel.type} tunnel options are not in the model; plain IP-in-IP is used`,
      );
    }
    realServers.push(realServer(server, servicePort, serverLabels));
  }
  const label = labels.make(baseLabel(spec));
  const settings = {
    forwarding,
    scheduler: spec.scheduler ?? 'wlc',
    ...(persistence ? { persistence } : {}),
    realServers,
  };
  if (spec.fwmark !== undefined) {
    const vip = family === 6 ? '::' : '0.0.0.0';
    note(
      line,
      '-f',
      'ambiguous',
      `a firewall-mark service has no address; its VIP is ${vip} until set to the address the marking rule matches`,
    );
    return { label, vip, protocol: 'fwmark', fwmark: spec.fwmark, ports: [], ...settings };
  }
  // Port 0 with persistence is IPVS's every-port service, which the model writes as 1-65535.
  const ports = spec.port === 0 ? [{ from: 1, to: 65535 }] : [spec.port];
  return { label, vip: spec.address, protocol: spec.protocol, ports, ...settings };
}

/**
 * A TCP and a UDP service alike in all but their protocol (DNS, SIP) become one `both`
 * service, for which the engine makes the same two IPVS services.
 */
function mergeProtocols(layer4: Input[], lines: number[]): { layer4: Input[]; lines: number[] } {
  const alike = (service: Input) => JSON.stringify({ ...service, label: '', protocol: '' });
  const tcp = new Map<string, Input>();
  for (const service of layer4) if (service.protocol === 'tcp') tcp.set(alike(service), service);
  const keep = layer4.map((service) => {
    if (service.protocol !== 'udp') return true;
    const twin = tcp.get(alike(service));
    if (!twin) return true;
    twin.protocol = 'both';
    tcp.delete(alike(service));
    return false;
  });
  return { layer4: layer4.filter((_, i) => keep[i]), lines: lines.filter((_, i) => keep[i]) };
}

export const importIpvsadm: Importer = async (source) => {
  const file = source.file;
  const text = await readBounded(source, MAX_IMPORT_BYTES);
  const { services, notes, operations } = readTable(file, text);
  const labels = new Labels();
  const mappedServices: Input[] = [];
  const serviceLines: number[] = [];
  for (const service of services.values()) {
    const mapped = layer4Of(file, service, labels, notes);
    if (mapped) {
      mappedServices.push(mapped);
      serviceLines.push(service.line);
    }
  }
  const { layer4, lines } = mergeProtocols(mappedServices, serviceLines);
  const config = layer4.length > 0 ? { layer4 } : {};
  const result = validateConfig(config);
  if (!result.ok) {
    // What ipvsadm takes and the model does not (checked per field, so a line can be named).
    const first = result.errors[0];
    const index = Number(/^layer4\[(\d+)\]/.exec(first?.field ?? '')?.[1] ?? 0);
    throw importInvalid(file, lines[index] ?? 1, first?.message ?? 'the result does not validate');
  }
  notes.sort((a, b) => a.line - b.line);
  return { format: 'ipvsadm', config, notes, mapped: operations, files: [file] };
};
