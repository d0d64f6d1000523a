import { describe, expect, test } from 'vitest';
import { ApplianceError } from '../../src/errors.js';
import { importLdirectord } from '../../src/import/ldirectord/index.js';
import { MAX_IMPORT_BYTES } from '../../src/import/lvs-shared.js';
import { validateConfig } from '../../src/model/validate.js';
import { corpusEntries, expectGolden } from './golden.js';
import { corpusSource, memorySource } from './sources.js';

const CORPUS = `${import.meta.dirname}/corpus/ldirectord`;
const entries = await corpusEntries(CORPUS, '.cf');

describe('ldirectord corpus', () => {
  test('holds the files this test expects', () => {
    expect(entries).toEqual(['basic.cf', 'variants.cf']);
  });

  test.each(entries)('%s: the configuration and the notes expected', async (name) => {
    const result = await importLdirectord(corpusSource(CORPUS, name));
    expect(result.format).toBe('ldirectord');
    expect(result.mapped).toBeGreaterThan(0);
    await expectGolden(`${CORPUS}/${name.replace(/\.cf$/, '.expected.json')}`, result);
  });

  test.each(entries)('%s: the result validates', async (name) => {
    const result = await importLdirectord(corpusSource(CORPUS, name));
    const checked = validateConfig({ ...result.config });
    expect(checked.errors).toEqual([]);
    expect(checked.ok).toBe(true);
  });
});

async function refusal(text: string): Promise<ApplianceError> {
  const error = await importLdirectord(memorySource({ 'ldirectord.cf': text }, 'ldirectord.cf')).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplianceError);
  expect((error as ApplianceError).code).toBe('IMPORT_INVALID');
  return error as ApplianceError;
}

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
    const error = await refusal(text);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  test('an unreadable file names the file', async () => {
    const error = await importLdirectord(memorySource({}, 'gone.cf')).catch((e: unknown) => e);
    expect((error as ApplianceError).code).toBe('IMPORT_INVALID');
    expect((error as ApplianceError).field).toBe('gone.cf:1');
  });

  test(`more than ${MAX_IMPORT_BYTES} bytes are refused`, async () => {
    const error = await refusal('#'.repeat(MAX_IMPORT_BYTES + 1));
    expect(error.message).toContain(`${MAX_IMPORT_BYTES} bytes`);
  });

  test('a quote or a newline in a value cannot reach a label or a path', async () => {
    const error = await refusal('virtual=192.0.2.1:80\n\trequest="/a b"\n');
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
