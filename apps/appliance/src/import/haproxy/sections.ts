/**
 * haproxy.cfg's lines -> its sections. A section keyword starts a section that runs to the
 * next one. Conditional blocks (`.if` ... `.endif`, HAProxy 2.4) depend on the running
 * HAProxy and its environment: their lines are left out, with a note. The sections an
 * import has no use for (userlist, peers, resolvers, ...) are noted at their header.
 */
import type { ImportNote } from '../contract.js';
import { importInvalid } from '../source-text.js';
import type { CfgLine } from './tokenize.js';

export type ProxyKind = 'defaults' | 'frontend' | 'backend' | 'listen';

export interface Section {
  kind: ProxyKind | 'global';
  name: string;
  /** `defaults` section it inherits from (`from NAME`), or the last one before it. */
  from: Section | undefined;
  line: number;
  lines: CfgLine[];
}

const PROXIES = new Set<string>(['defaults', 'frontend', 'backend', 'listen']);
const OTHER_SECTIONS = new Set([
  'userlist',
  'peers',
  'resolvers',
  'mailers',
  'program',
  'http-errors',
  'ring',
  'cache',
  'crt-store',
  'traces',
  'log-forward',
  'fcgi-app',
  'acme',
]);

export function sections(file: string, lines: readonly CfgLine[], notes: ImportNote[]): Section[] {
  const out: Section[] = [];
  const defaults = new Map<string, Section>();
  let lastDefaults: Section | undefined;
  let current: Section | undefined;
  /** Inside a section the import leaves out (`userlist`...), or a conditional block. */
  let skipping = false;
  let depth = 0;
  for (const cfg of lines) {
    const [keyword = '', ...args] = cfg.words;
    if (keyword.startsWith('.')) {
      if (keyword === '.if') {
        if (depth === 0) {
          notes.push({
            file,
            line: cfg.line,
            directive: '.if',
            kind: 'unsupported',
            message: 'a conditional block depends on the running HAProxy and its environment; its lines are left out',
          });
        }
        depth++;
      } else if (keyword === '.endif' || keyword === '.elif' || keyword === '.else') {
        if (depth === 0) throw importInvalid(file, cfg.line, `${keyword} without .if`);
        if (keyword === '.endif') depth--;
      } else if (depth === 0) {
        notes.push({
          file,
          line: cfg.line,
          directive: keyword,
          kind: 'unsupported',
          message: "a message for HAProxy's startup; nothing to import",
        });
      }
      continue;
    }
    if (depth > 0) continue;
    if (keyword === 'global' || PROXIES.has(keyword)) {
      skipping = false;
      const kind = keyword as Section['kind'];
      const name = kind === 'global' ? '' : (args[0] ?? '');
      if (kind !== 'global' && kind !== 'defaults' && (!name || name === 'from')) {
        throw importInvalid(file, cfg.line, `${kind} needs a name`);
      }
      let from: Section | undefined = lastDefaults;
      const fromAt = args.indexOf('from');
      if (fromAt >= 0) {
        const parent = args[fromAt + 1] ?? '';
        from = defaults.get(parent);
        if (!from) throw importInvalid(file, cfg.line, `no defaults section named "${parent}" before this line`);
      }
      current = {
        kind,
        name: name === 'from' ? '' : name,
        from: kind === 'global' ? undefined : from,
        line: cfg.line,
        lines: [],
      };
      out.push(current);
      if (kind === 'defaults') {
        lastDefaults = current;
        if (current.name) defaults.set(current.name, current);
      }
      continue;
    }
    if (OTHER_SECTIONS.has(keyword)) {
      skipping = true;
      current = undefined;
      notes.push({
        file,
        line: cfg.line,
        directive: keyword,
        kind: 'unsupported',
        message: `a ${keyword} section has no counterpart in the appliance; it and its lines are left out`,
      });
      continue;
    }
    if (skipping) continue;
    if (!current) throw importInvalid(file, cfg.line, `"${keyword}" outside a section`);
    current.lines.push(cfg);
  }
  if (depth > 0) throw importInvalid(file, lines[lines.length - 1]?.line ?? 1, '.if without .endif');
  return out;
}
