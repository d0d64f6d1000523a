import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { jobScript, shellQuote } from '../src/uml/shell.js';

const hostile = ["it's", '$(touch /nonexistent)', '`id`', 'a\nb', '"; exit 3; "', '\\', ' spaced  out ', '*'];

describe('job script for the guest', () => {
  it('passes every word through a real shell unchanged', () => {
    // The same /bin/sh the guest uses decodes the quoting; printf shows each word as is.
    const script = hostile.map(shellQuote).join(' ');
    const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${script}`], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(hostile);
  });

  it('runs the command in the directory with exactly the given environment', () => {
    const script = jobScript({
      cwd: '/',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, run by sh
      command: ['sh', '-c', 'printf "%s|%s|%s" "$(pwd)" "$ONLY" "${HOME-unset}"'],
      env: { ONLY: "x'y", PATH: '/usr/bin:/bin' },
    });
    expect(execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' })).toBe("/|x'y|unset");
  });

  it('refuses bad environment names and NUL bytes', () => {
    expect(() => jobScript({ cwd: '/', command: ['true'], env: { 'A=B': '1' } })).toThrow(/environment/);
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => jobScript({ cwd: '/', command: [], env: {} })).toThrow(/empty/);
  });
});
