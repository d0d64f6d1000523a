import { describe, expect, test } from 'vitest';
import type { ApplianceError } from '../../src/errors.js';
import { importLdirectord } from '../../src/import/ldirectord/index.js';
import { MAX_IMPORT_BYTES } from '../../src/import/lvs-shared.js';
import { corpusSuite, refusal } from './golden.js';
import { memorySource } from './sources.js';

const CORPUS = `${import.meta.dirname}/corpus/ldirectord`;
await corpusSuite('ldirectord', importLdirectord, CORPUS, '.cf', ['basic.cf', 'variants.cf']);

const refused = (text: string) => refusal(importLdirectord, memorySource({ 'ldirectord.cf': text }, 'ldirectord.cf'));

describe('ldirectord broken input: refused whole, with file and line', () => {
  test.each([
    ['a line without "="', 'checktimeout=3\nvirtual 192.0.2.1:80\n', 'ldirectord.cf:2', 'name = value'],
    ['a host name', 'virtual=www.example.org:80\n', 'ldirectord.cf:1', 'host names are not resolved'],
    ['a bad port', 'virtual=192.0.2.1:gopherx\n', 'ldirectord.cf:1', 'is not a port'],
    ['an unclosed quote', 'virtual=192.0.2.1:80\n\trequest="index.html\n', 'ldirectord.cf:2', 'quoted string'],
    ['an unknown scheduler', 'virtual=192.0.2.1:80\n\tscheduler=fastest\n', 'ldirectord.cf:2', 'unknown scheduler'],
    ['an unknown checktype', 'virtual=192.0.2.1:80\n\tchecktype=magic\n', 'ldirectord.cf:2', 'unknown checktype'],
    ['a bad weight', 'virtual=192.0.2.1:80\n\treal=192.0.2.2:80 gate 99999\n', 'ldirectord.cf:2', 'weight'],
    ['a huge range', 'virtual=192.0.2.1:80\n\treal=10.0.0.1->10.0.9.1:80 gate\n', 'ldirectord.cf:2', 'range'],
    ['fwm for an address', 'virtual=192.0.2.1:80\n\tprotocol=fwm\n', 'ldirectord.cf:2', 'tcp or udp'],
    ['a service twice', 'virtual=192.0.2.1:80\nvirtual=192.0.2.1:80\n', 'ldirectord.cf:2', 'already'],
    ['quiescent maybe', 'quiescent=maybe\nvirtual=192.0.2.1:80\n', 'ldirectord.cf:1', 'yes or no'],
    ['mixed families', 'virtual=192.0.2.1:80\n\treal=[2001:db8::1]:80 masq\n', 'ldirectord.cf:1', 'IPv4'],
  ])('%s', async (_what, text, field, message) => {
    const error = await refused(text);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  test('an unreadable file names the file', async () => {
    const error = await importLdirectord(memorySource({}, 'gone.cf')).catch((e: unknown) => e);
    expect((error as ApplianceError).code).toBe('IMPORT_INVALID');
    expect((error as ApplianceError).field).toBe('gone.cf:1');
  });

  test(`more than ${MAX_IMPORT_BYTES} bytes are refused`, async () => {
    const error = await refused('#'.repeat(MAX_IMPORT_BYTES + 1));
    expect(error.message).toContain(`${MAX_IMPORT_BYTES} bytes`);
  });

  test('a quote or a newline in a value cannot reach a label or a path', async () => {
    const error = await refused('virtual=192.0.2.1:80\n\trequest="/a b"\n');
    expect(error.field).toBe('ldirectord.cf:2');
    const result = await importLdirectord(
      memorySource(
        { 'ldirectord.cf': 'virtual=192.0.2.1:80\n\treal=192.0.2.2:80 gate\n\tvirtualhost="x\n' },
        'ldirectord.cf',
      ),
    ).catch((e: unknown) => e);
    expect((result as ApplianceError).field).toBe('ldirectord.cf:3');
  });
});
