import type { ApplianceConfig } from '../model/schema.js';
import type { ApiIssue } from './api.js';

/**
 * The API's own validation, run in the page as the user types: the same module
 * (schema and cross-object checks), so the same messages and the same field paths. It
 * loads on the first form shown, not with the first page.
 */
let module: Promise<typeof import('../model/validate.js')> | undefined;

export interface Verdict {
  errors: ApiIssue[];
  warnings: ApiIssue[];
}

export async function validate(config: unknown): Promise<Verdict> {
  module ??= import('../model/validate.js');
  const { validateConfig } = await module;
  const result = validateConfig(config);
  return {
    errors: result.errors.map((e) => ({ code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) })),
    warnings: result.warnings.map((w) => ({ code: w.code, message: w.message, field: w.field })),
  };
}

export type { ApplianceConfig };
