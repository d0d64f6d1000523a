import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HaproxyConfig } from './model.js';
import { render } from './render.js';
import { execFileRunner, type ProcessRunner } from './runner.js';

export interface Diagnostic {
  severity: 'alert' | 'warning' | 'notice';
  /** Line in the checked text, when HAProxy names one. */
  line?: number;
  message: string;
}

export interface ValidationResult {
  /** HAProxy accepted the configuration (warnings allowed). */
  valid: boolean;
  diagnostics: Diagnostic[];
  /** The text that was checked. */
  text: string;
}

export interface ValidateOptions {
  /** Default `haproxy` on PATH. */
  binary?: string;
  timeoutMs?: number;
  runner?: ProcessRunner;
}

// [ALERT]    (1234) : config : parsing [/tmp/x/haproxy.cfg:12] : unknown keyword 'foo' ...
const LINE = /^\[(ALERT|WARNING|NOTICE)\]\s+\(\d+\)\s*:\s*(.*)$/;
const LOCATION = /\[[^\]\s]*:(\d+)\]\s*:?\s*/;

/** Parses `haproxy -c` output into diagnostics, lines numbered in the checked file. */
export function parseDiagnostics(output: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const raw of output.split('\n')) {
    const match = LINE.exec(raw.trimEnd());
    if (!match) {
      // HAProxy continues a message on indented lines.
      const last = diagnostics.at(-1);
      if (last && /^\s+\S/.test(raw)) last.message += ` ${raw.trim().replace(/^\|\s*/, '')}`;
      continue;
    }
    const severity = (match[1] as string).toLowerCase() as Diagnostic['severity'];
    let message = (match[2] as string).replace(/^config\s*:\s*/, '');
    const location = LOCATION.exec(message);
    const diagnostic: Diagnostic = { severity, message: '' };
    if (location) {
      diagnostic.line = Number(location[1]);
      message = message.replace(LOCATION, '').replace(/^parsing\s*/, '');
    }
    diagnostic.message = message.trim();
    // Every run prints these two; they say nothing about the configuration.
    if (severity === 'notice' && /^(haproxy version is|path to executable is)/.test(diagnostic.message)) continue;
    diagnostics.push(diagnostic);
  }
  return diagnostics;
}

/**
 * Checks every field of a model, in memory: nothing is written, no program runs. Throws
 * the HaproxyConfigError that `render()` would (HAPROXY_INVALID_FIELD with the `field`
 * path, HAPROXY_DUPLICATE_NAME, HAPROXY_UNKNOWN_REFERENCE, HAPROXY_INCOMPATIBLE). It is
 * the renderer itself, so whatever it accepts is exactly what would be written.
 */
export function checkModel(config: HaproxyConfig): void {
  render(config);
}

/**
 * Checks a model (rendered first; rendering errors throw) or a text with the real
 * `haproxy -c`. Certificates and CA files the text names must exist.
 */
export async function validate(
  config: HaproxyConfig | string,
  options: ValidateOptions = {},
): Promise<ValidationResult> {
  const text = typeof config === 'string' ? config : render(config);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  try {
    await writeFile(file, text, { mode: 0o600 });
    const runner = options.runner ?? execFileRunner;
    const result = await runner(options.binary ?? 'haproxy', ['-c', '-f', file], {
      timeoutMs: options.timeoutMs ?? 60_000,
    });
    const diagnostics = parseDiagnostics(`${result.stdout}\n${result.stderr}`);
    const valid = result.code === 0;
    if (!valid && !diagnostics.some((d) => d.severity === 'alert')) {
      diagnostics.push({ severity: 'alert', message: `haproxy -c exited with ${result.code}` });
    }
    return { valid, diagnostics, text };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
