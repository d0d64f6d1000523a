import { readFile } from 'node:fs/promises';
import { consumerErrors } from './config/consumers.js';
import { validateConfig } from './model/validate.js';

export interface FileReport {
  /** 0 valid (warnings allowed), 1 invalid, 2 unreadable or not JSON. */
  exitCode: 0 | 1 | 2;
  text: string;
  json: unknown;
}

/** `sluice-appliance validate FILE`: the same checks as a write through the API, nothing stored. */
export async function validateFile(path: string): Promise<FileReport> {
  let input: unknown;
  try {
    input = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    const message = `${path}: ${(cause as Error).message}`;
    return { exitCode: 2, text: message, json: { valid: false, error: { code: 'CONFIG_UNREADABLE', message } } };
  }
  const checked = validateConfig(input);
  // What a write would also be refused for: the Layer 7 model and renderer, the certificate files.
  const refused = checked.ok ? await consumerErrors(checked.config) : [];
  const result = refused.length > 0 ? { ...checked, ok: false as const, errors: refused } : checked;
  const warnings = result.warnings.map((w) => `warning ${w.code}: ${w.message}`);
  if (result.ok) {
    return {
      exitCode: 0,
      text: [`${path}: valid`, ...warnings].join('\n'),
      json: { valid: true, warnings: result.warnings },
    };
  }
  return {
    exitCode: 1,
    text: [`${path}: invalid`, ...result.errors.map((e) => `error ${e.code}: ${e.message}`), ...warnings].join('\n'),
    json: { valid: false, errors: result.errors.map((e) => e.toJSON()), warnings: result.warnings },
  };
}
