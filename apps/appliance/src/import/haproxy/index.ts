/**
 * The haproxy.cfg importer (#23): frontends, backends and listens -> Layer 7 services, SSL
 * terminations with their certificates, and health checks (see services.ts for how a
 * proxy becomes a service). Sections inherit from their defaults section as HAProxy's do
 * (the last one before them, or the one `from` names). Every directive is mapped or noted.
 *
 * haproxy.cfg has no includes (HAProxy takes several -f files instead): only the named file
 * is read, up to MAX_IMPORT_BYTES.
 */
import { validateConfig } from '../../model/validate.js';
import { type Importer, type ImportNote, MAX_IMPORT_BYTES } from '../contract.js';
import { importInvalid, readBounded } from '../source-text.js';
import { ProxyReader, type ProxySection } from './proxy.js';
import { type Section, sections } from './sections.js';
import { mapProxies } from './services.js';
import { tokenize } from './tokenize.js';

/** 16 MiB: a 10,000-line haproxy.cfg is well under 1 MiB. */

export const importHaproxy: Importer = async (source) => {
  const file = source.file;
  const text = await readBounded(source, MAX_IMPORT_BYTES);
  const notes: ImportNote[] = [];
  const all = sections(file, tokenize(file, text), notes);
  let crtBase: string | undefined;
  let mapped = 0;
  for (const section of all.filter((s) => s.kind === 'global')) {
    for (const { line, words } of section.lines) {
      const [keyword = ''] = words;
      if (keyword === 'crt-base' && words[1] !== undefined) {
        crtBase = words[1].replace(/\/+$/, '');
        mapped++;
      } else {
        notes.push({
          file,
          line,
          directive: keyword,
          kind: 'unsupported',
          message: 'the appliance runs HAProxy with its own global settings; left out',
        });
      }
    }
  }
  const reader = new ProxyReader(file, notes, crtBase);
  const read = new Map<Section, ProxySection>();
  const proxies: ProxySection[] = [];
  for (const section of all) {
    if (section.kind === 'global') continue;
    const parent = section.from ? read.get(section.from) : undefined;
    const proxy = reader.read(section, parent);
    read.set(section, proxy);
    proxies.push(proxy);
    mapped += proxy.mapped;
  }
  const result = mapProxies(file, proxies, notes);
  const validation = validateConfig(result.config);
  if (!validation.ok) {
    // What HAProxy would take and the model does not (two proxies on one address and port).
    const first = validation.errors[0];
    const [, section, index] = /^(layer7|ssl|certificates|healthChecks)\[(\d+)\]/.exec(first?.field ?? '') ?? [];
    const line = section ? result.lines[section as keyof typeof result.lines][Number(index)] : undefined;
    throw importInvalid(file, line ?? 1, first?.message ?? 'the result does not validate');
  }
  notes.sort((a, b) => a.line - b.line);
  return { format: 'haproxy', config: result.config, notes, mapped: mapped + result.mapped, files: [file] };
};
