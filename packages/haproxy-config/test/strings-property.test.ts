// Property test (#17 item 11): random strings (all of Unicode, every ASCII punctuation,
// leading dashes, line separators) through every string field of the model. Each is
// either refused by checkModel with HAPROXY_INVALID_FIELD naming its field, or written as
// one literal word as HAProxy splits lines (not cut by a `#`, not re-read by a quote) and
// the real `haproxy -c` accepts the file: one run over all accepted values at once.
// The netns half (header values reaching a real server byte for byte) is in l7.netns.test.ts.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkModel, type HaproxyConfig, HaproxyConfigError, render, validate } from '../src/index.js';
import { CERT, holdsLiterally, pair, prng, randomString, STRING_FIELDS, type StringField } from './helpers/fuzz.js';
import { makeTestPki } from './helpers/tls.js';

const SEED = 17;
const CASES = 300;
// Per field, at most this many accepted values go into the one haproxy -c file.
const PER_FIELD = 25;

let pki: Awaited<ReturnType<typeof makeTestPki>>;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

function oneValue(field: StringField, value: string): HaproxyConfig {
  const p = pair(0);
  const config: HaproxyConfig = { global: { adminSocket: false }, frontends: [p.frontend], backends: [p.backend] };
  field.set(p, value, config, 0);
  return config;
}

const isGlobal = (field: StringField) => /^(global|defaults)/.test(field.path(0));

// Filled by the first test, read by the second (vitest runs a file's tests in order).
const accepted = new Map<string, string[]>();

describe('every string field, random strings', () => {
  it(`refuses with HAPROXY_INVALID_FIELD and the field, or writes the value literally (${CASES} a field)`, () => {
    const wrong: string[] = [];
    let refused = 0;
    Object.entries(STRING_FIELDS).forEach(([what, field], fi) => {
      const random = prng(SEED * 1000 + fi);
      const ok = new Set<string>();
      for (let i = 0; i < CASES; i++) {
        const value = randomString(random);
        try {
          checkModel(oneValue(field, value));
        } catch (error) {
          refused++;
          const e = error as HaproxyConfigError;
          if (!(e instanceof HaproxyConfigError) || e.code !== 'HAPROXY_INVALID_FIELD' || e.field !== field.path(0)) {
            wrong.push(
              `${what} ${JSON.stringify(value)}: ${String(e?.code)} ${String(e?.field)} ${String(e?.message)}`,
            );
          }
          continue;
        }
        ok.add(value);
        // Accepted: the file must say this very value, not a truncated or re-read one.
        let literal: boolean;
        try {
          literal = holdsLiterally(render(oneValue(field, value)), value);
        } catch {
          // An unmatched quote: HAProxy would refuse the line or read another one.
          literal = false;
        }
        if (!literal) wrong.push(`${what} ${JSON.stringify(value)}: accepted but not written as one literal word`);
      }
      accepted.set(what, [...ok]);
    });
    expect(wrong.slice(0, 20)).toEqual([]);
    // The strings reach both outcomes in earnest, or the test proves nothing.
    expect(refused).toBeGreaterThan(1000);
    const free = ['frontend header value', 'pathPrefix value', 'pathRegex value', 'frontend header name', 'agent send'];
    for (const what of free) expect(accepted.get(what)?.length, what).toBeGreaterThan(20);
  });

  it('writes every accepted value so that the real haproxy -c accepts the file (one run)', async () => {
    expect(accepted.size).toBe(Object.keys(STRING_FIELDS).length);
    const config: HaproxyConfig = { global: { adminSocket: false }, frontends: [], backends: [] };
    const names = new Set<string>();
    const files: [string, string][] = [];
    let k = 0;
    let logs = 0;
    for (const [what, field] of Object.entries(STRING_FIELDS)) {
      // A user or group must exist on the host: syntax is the model check's, existence is not.
      if (field.hostDependent) continue;
      let values = (accepted.get(what) ?? []).slice(0, field.single ? 1 : PER_FIELD);
      if (field.file !== undefined) {
        // A real file under the test's directory, its name ending in the random path.
        values = values.filter((v) => !/(^|\/)\.\.?(\/|$)/.test(v) && !v.endsWith('/'));
        values = values.map((v) => {
          const real = `${pki.dir}/f${k++}${v}`;
          files.push([field.file === 'ca' ? pki.ca : pki.site, real]);
          return real;
        });
      }
      for (const value of values) {
        const p = pair(k++);
        const slot = what.startsWith('log ') ? logs++ : k;
        field.set(p, value, config, slot);
        if (isGlobal(field)) continue;
        if (names.has(p.frontend.name) || names.has(p.backend.name)) continue;
        names.add(p.frontend.name).add(p.backend.name);
        config.frontends.push(p.frontend);
        config.backends.push(p.backend);
      }
    }
    for (const [from, to] of files) {
      await mkdir(dirname(to), { recursive: true });
      await copyFile(from, to);
    }
    await copyFile(pki.site, join(pki.dir, 'fuzz-cert.pem'));
    const text = render(config).replaceAll(CERT, join(pki.dir, 'fuzz-cert.pem'));
    expect(config.frontends.length).toBeGreaterThan(300);
    const result = await validate(text);
    const lines = text.split('\n');
    const alerts = result.diagnostics
      .filter((d) => d.severity === 'alert')
      .map((d) => `${d.message} <- ${d.line === undefined ? '' : lines[d.line - 1]}`);
    expect(alerts).toEqual([]);
    expect(result.valid).toBe(true);
  });
});
