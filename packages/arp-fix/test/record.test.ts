import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendRecord, type ChangeRecord, LinuxSystem, loadRecords, recordPath, storeRecords } from '../src/index.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const record = (vip: string): ChangeRecord => ({
  version: 1,
  operation: 'apply',
  method: 'arp',
  vips: [vip],
  at: '2026-12-07T12:00:00.000Z',
  changes: [],
});

describe('the change record', () => {
  it("keeps a namespace's changes apart from the host's and another namespace's", async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-arp-fix-record-'));
    roots.push(root);
    const host = new LinuxSystem({ root });
    const rs1 = new LinuxSystem({ root, netns: 'rs1' });
    const rs2 = new LinuxSystem({ root, netns: 'rs2' });
    await appendRecord(host, record('192.0.2.10'));
    await appendRecord(rs1, record('192.0.2.11'));
    expect(recordPath(rs1)).toBe('/var/lib/sluice-arp-fix/netns/rs1/changes.json');
    expect(existsSync(join(root, 'var/lib/sluice-arp-fix/netns/rs1/changes.json'))).toBe(true);
    expect((await loadRecords(host)).map((r) => r.vips)).toEqual([['192.0.2.10']]);
    expect((await loadRecords(rs1)).map((r) => r.vips)).toEqual([['192.0.2.11']]);
    expect(await loadRecords(rs2)).toEqual([]);
    // A revert in the namespace empties its record only.
    await storeRecords(rs1, []);
    expect(await loadRecords(rs1)).toEqual([]);
    expect((await loadRecords(host)).map((r) => r.vips)).toEqual([['192.0.2.10']]);
  });
});
