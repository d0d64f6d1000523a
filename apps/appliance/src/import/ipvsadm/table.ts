/**
 * An `ipvsadm -S` / `-Sn` save or an `ipvsadm -R` script -> the IPVS table it leaves
 * behind when restored into an empty table, each entry with the line that made it. The
 * grammar is @sluice/ipvs's (`parseIpvsadmArgs`, `restoreOperations`), which also refuses
 * what the kernel would refuse, each error citing the file's line.
 */
import {
  type DestinationSpec,
  destinationId,
  type IpvsError,
  type Operation,
  parseIpvsadmArgs,
  restoreOperations,
  type ServiceSpec,
  serviceId,
} from '@sluice/ipvs';
import type { ImportNote } from '../contract.js';
import { importInvalid } from '../source-text.js';

export interface TableDestination {
  spec: DestinationSpec;
  line: number;
}

export interface TableService {
  spec: ServiceSpec;
  line: number;
  destinations: Map<string, TableDestination>;
}

/** Commands a save or script may hold that describe no service: noted, not restored. */
const NOT_RESTORED: Record<string, { kind: ImportNote['kind']; message: string }> = {
  clear: {
    kind: 'lossy',
    message: 'clears the table; the import describes the services of this file, and applying it replaces the others',
  },
  set: {
    kind: 'unsupported',
    message: 'the IPVS connection timeouts are not part of the configuration; the kernel keeps its own',
  },
  'start-daemon': {
    kind: 'unsupported',
    message: 'the connection sync daemon is configured in heartbeat.connectionSync, with the pair; left out',
  },
  'stop-daemon': { kind: 'unsupported', message: 'stops the connection sync daemon; left out' },
  zero: { kind: 'unsupported', message: 'zeroes counters; nothing to import' },
  list: { kind: 'unsupported', message: 'lists the table; nothing to import' },
  save: { kind: 'unsupported', message: 'saves the table; nothing to import' },
  connections: { kind: 'unsupported', message: 'lists connections; nothing to import' },
  timeouts: { kind: 'unsupported', message: 'lists timeouts; nothing to import' },
  daemons: { kind: 'unsupported', message: 'lists sync daemons; nothing to import' },
  restore: { kind: 'unsupported', message: 'restores from its standard input; import that file instead' },
};

/**
 * `ipvsadm -S` without -n writes ports by their /etc/services names: the common ones are
 * read back here (a name not listed is refused with its line, as a host name is: those
 * need `ipvsadm -Sn`, since an import resolves no names).
 */
const PORT_NAMES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  www: 80,
  pop3: 110,
  ntp: 123,
  imap2: 143,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  'ms-sql-s': 1433,
  mysql: 3306,
  'ms-wbt-server': 3389,
  sip: 5060,
  postgresql: 5432,
  'http-alt': 8080,
};

/** `ADDRESS:name` -> `ADDRESS:number` for the port names above; anything else as it was. */
function numericPort(word: string): string {
  const colon = word.lastIndexOf(':');
  if (colon < 0) return word;
  const port = PORT_NAMES[word.slice(colon + 1)];
  return port === undefined ? word : `${word.slice(0, colon)}:${port}`;
}

/** The first word when it is the command itself (a shell script of `ipvsadm ...` lines). */
const COMMAND = /^(?:\/[\w./-]*\/)?ipvsadm$/;

function directiveOf(words: readonly string[]): string {
  return words.find((w) => w.startsWith('-')) ?? words[0] ?? '';
}

export interface Table {
  services: Map<string, TableService>;
  notes: ImportNote[];
  /** Lines that restore something (every one is mapped: into the table, or out of it). */
  operations: number;
}

export function readTable(file: string, text: string): Table {
  const notes: ImportNote[] = [];
  // Lines that restore nothing become blank, so restoreOperations still counts the file's lines.
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (!raw || raw.startsWith('#')) continue;
    let words = raw.split(/\s+/);
    if (COMMAND.test(words[0] as string)) words = words.slice(1);
    words = words.map(numericPort);
    lines[i] = words.join(' ');
    let kind: string;
    try {
      kind = parseIpvsadmArgs(words).command.kind;
    } catch {
      continue; // restoreOperations reports it, with its line
    }
    const skip = NOT_RESTORED[kind];
    if (skip) {
      notes.push({ file, line: i + 1, directive: directiveOf(words), ...skip });
      lines[i] = '';
    }
  }
  let ops: { line: number; operation: Operation }[];
  try {
    ops = restoreOperations(lines.join('\n'));
  } catch (error) {
    const field = (error as IpvsError).field ?? '';
    const line = Number(/^line (\d+)/.exec(field)?.[1] ?? 1);
    throw importInvalid(file, line, (error as Error).message.replace(/^line \d+: /, ''), error);
  }
  const services = new Map<string, TableService>();
  for (const { line, operation: op } of ops) {
    const sid = serviceId(op.service);
    const service = services.get(sid);
    const missing = () => importInvalid(file, line, `no service ${sid} was added before this line`);
    switch (op.op) {
      case 'add-service':
        if (service) throw importInvalid(file, line, `the service ${sid} was already added at line ${service.line}`);
        services.set(sid, { spec: op.service, line, destinations: new Map() });
        break;
      case 'edit-service':
        if (!service) throw missing();
        service.spec = op.service;
        break;
      case 'delete-service':
        if (!service) throw missing();
        services.delete(sid);
        break;
      case 'add-destination':
      case 'edit-destination':
      case 'delete-destination': {
        if (!service) throw missing();
        const did = destinationId(op.destination);
        const existing = service.destinations.get(did);
        if (op.op === 'add-destination') {
          if (existing) {
            throw importInvalid(file, line, `the real server ${did} was already added at line ${existing.line}`);
          }
          service.destinations.set(did, { spec: op.destination, line });
        } else if (!existing) {
          throw importInvalid(file, line, `no real server ${did} was added to ${sid} before this line`);
        } else if (op.op === 'edit-destination') {
          existing.spec = op.destination;
        } else {
          service.destinations.delete(did);
        }
        break;
      }
    }
  }
  return { services, notes, operations: ops.length };
}
