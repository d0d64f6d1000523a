// The import benchmark's input (bench/import-input.ts) imports as the benchmark assumes:
// no error, no refusal by validation, and the counts it reports its figures for.
import { describe, expect, it } from 'vitest';
import {
  BACKENDS_PER_SITE,
  checkerOf,
  HAPROXY_LINES,
  haproxyInput,
  INCLUDED_FILES,
  KEEPALIVED_SERVERS,
  KEEPALIVED_SERVICES,
  keepalivedInput,
} from '../../bench/import-input.ts';
import { previewImport, runImport, uploadSource } from '../../src/import/index.js';
import { defaultConfig } from '../../src/model/schema.js';

describe('the import benchmark input', () => {
  it('keepalived.conf: 1,000 virtual servers x 10 real servers with a checker each, over its includes', async () => {
    const { main, files } = keepalivedInput('/etc/keepalived');
    expect(Object.keys(files)).toHaveLength(1 + INCLUDED_FILES);
    const result = await runImport('keepalived', uploadSource(main, files));
    expect(result.files).toHaveLength(1 + INCLUDED_FILES);
    const layer4 = result.config.layer4 ?? [];
    expect(layer4).toHaveLength(KEEPALIVED_SERVICES);
    expect(layer4.every((s) => s.realServers?.length === KEEPALIVED_SERVERS)).toBe(true);
    // MISC_CHECK runs a script, which the appliance does not: the importer says so for each.
    expect(layer4.map((s) => s.healthCheck !== undefined)).toEqual(
      layer4.map((_s, i) => checkerOf(i) !== 'MISC_CHECK'),
    );
    const misc = result.notes.filter((n) => n.directive === 'MISC_CHECK');
    expect(misc.length).toBe((KEEPALIVED_SERVICES / 4) * KEEPALIVED_SERVERS);
    expect(misc.every((n) => n.kind === 'unsupported')).toBe(true);
    expect(result.config.floatingIps?.length).toBeGreaterThan(0);

    const { preview } = await previewImport(result, defaultConfig());
    expect(preview.errors).toEqual([]);
    expect(preview.changes.length).toBeGreaterThan(0);
  });

  it(`haproxy.cfg: ${HAPROXY_LINES} lines, every frontend and backend imported`, async () => {
    const { text, backends, frontends } = haproxyInput('/etc/haproxy/certs');
    expect(text.split('\n')).toHaveLength(HAPROXY_LINES + 1);
    expect(text.match(/^backend /gm)).toHaveLength(backends);
    expect(text.match(/^frontend /gm)).toHaveLength(frontends);
    expect(backends).toBe((frontends - 1) * BACKENDS_PER_SITE + 1);
    const result = await runImport('haproxy', uploadSource('haproxy.cfg', { 'haproxy.cfg': text }));
    // Each backend is a service: a frontend's default backend on its binds, the others as its URL rules' targets.
    expect(result.config.layer7 ?? []).toHaveLength(backends);

    const { preview } = await previewImport(result, defaultConfig());
    expect(preview.errors).toEqual([]);
    expect(preview.changes.length).toBeGreaterThan(0);
  });
});
