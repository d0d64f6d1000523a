import { z } from 'zod';

const issue = z.looseObject({
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
});

/** Every error answer: `{ error: { code, message, field?, issues? } }` (src/errors.ts `toJSON`). */
export const errorSchema = z.strictObject({
  error: z.strictObject({
    code: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]+$/)
      .describe('stable error code (ApplianceErrorCode)'),
    message: z.string(),
    field: z.string().optional().describe('the field at fault, as a path'),
    issues: z.array(issue).optional().describe('every error found, each with its code and field'),
  }),
});
