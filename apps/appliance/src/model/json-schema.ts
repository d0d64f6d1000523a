import { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * The configuration's JSON Schema (draft 2020-12) for editors and API clients. It
 * describes what a user may write (defaults optional); the cross-object rules of
 * validateConfig() are beyond what JSON Schema can say.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }),
    title: 'Sluice appliance configuration',
  };
}

/** The file's exact text (`config.schema.json`), so that a test can tell when it is stale. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
