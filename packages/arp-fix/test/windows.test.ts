import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { psQuote, windowsFix } from '../src/index.js';

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const lines = (text: string[]) => `${text.join('\n')}\n`;

/** Reads a PowerShell single-quoted literal starting at `text[at]`; returns its value and end. */
function readPsLiteral(text: string, at: number): { value: string; end: number } {
  const quotes = "'\u2018\u2019\u201a\u201b";
  const first = text[at];
  if (first === undefined || !quotes.includes(first)) throw new Error('not a literal');
  let value = '';
  let i = at + 1;
  for (;;) {
    const c = text[i];
    if (c === undefined) throw new Error('unterminated');
    if (quotes.includes(c)) {
      const next = text[i + 1];
      if (next !== undefined && quotes.includes(next)) {
        value += c;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += c;
    i++;
  }
}

describe('Windows real servers', () => {
  const fix = windowsFix({
    vips: [{ address: '192.0.2.10', ports: [80, 443] }, '2001:db8::10'],
    loopbackAdapter: 'Loopback',
    lanAdapter: 'Local Area Connection',
  });

  it('generates the expected PowerShell for 2008 and later', async () => {
    expect(fix.powershell).toBe(await fixture('windows-2008.ps1'));
    expect(fix.powershell).toContain("'weakhostreceive=enabled'");
    expect(fix.powershell).toContain("'metric=254'");
  });

  it('generates the expected steps for 2008+, 2000/2003 and IIS', async () => {
    expect(lines(fix.steps2008)).toBe(await fixture('windows-2008-steps.txt'));
    expect(lines(fix.steps2003)).toBe(await fixture('windows-2003-steps.txt'));
    expect(lines(fix.iisAdvice)).toBe(await fixture('windows-iis.txt'));
    expect(fix.steps2008).toContain(
      'netsh interface ipv4 set interface "Local Area Connection" weakhostreceive=enabled',
    );
    expect(fix.steps2008).toContain('netsh interface ipv4 set interface "Loopback" weakhostsend=enabled');
    expect(fix.steps2008).not.toContain(
      'netsh interface ipv4 set interface "Local Area Connection" weakhostsend=enabled',
    );
  });

  it('keeps hostile adapter names inert: one literal, same value, case kept', () => {
    const names = [
      "Lan'; Remove-Item -Recurse C:\\ ; '",
      'LAN $(Stop-Computer) `n',
      'Lan\u2019; Stop-Computer; \u2018',
      'lOOpback',
    ];
    for (const name of names) {
      const script = windowsFix({ vips: ['192.0.2.10'], loopbackAdapter: 'lOOpback', lanAdapter: name }).powershell;
      const line = script.split('\r\n').find((l) => l.startsWith('  [string]$LanAdapter = '));
      const start = '  [string]$LanAdapter = '.length;
      const literal = readPsLiteral(line ?? '', start);
      expect(literal.value).toBe(name);
      expect(literal.end).toBe(line?.length);
      expect(script).toContain("[string]$LoopbackAdapter = 'lOOpback',");
    }
    expect(psQuote("a'b")).toBe("'a''b'");
  });

  it('rejects names that could break out of netsh quoting, with the field', () => {
    for (const bad of ['', 'a\r\nnetsh', 'say "hi"', ' lead', 'trail\\', 'x'.repeat(257)]) {
      expect(() => windowsFix({ vips: ['192.0.2.10'], loopbackAdapter: 'Loopback', lanAdapter: bad })).toThrow(
        expect.objectContaining({ code: 'ARPFIX_INVALID_FIELD', field: 'lanAdapter' }),
      );
    }
    expect(() => windowsFix({ vips: ['192.0.2.10'], loopbackAdapter: 'a\u0000', lanAdapter: 'LAN' })).toThrow(
      expect.objectContaining({ field: 'loopbackAdapter' }),
    );
    expect(() => windowsFix({ vips: ['192.0.2.10;x'], loopbackAdapter: 'L', lanAdapter: 'LAN' })).toThrow(
      expect.objectContaining({ field: 'vips[0]' }),
    );
  });

  it('leaves IPv6 out when there is no IPv6 VIP', () => {
    const v4 = windowsFix({ vips: ['192.0.2.10'], loopbackAdapter: 'Loopback', lanAdapter: 'LAN', ports: [8080] });
    expect(v4.powershell).toContain("foreach ($family in @('ipv4')) {");
    expect(v4.powershell).toContain('$Vips6 = @()');
    expect(v4.powershell).toContain('$Ports = @(8080)');
  });
});
