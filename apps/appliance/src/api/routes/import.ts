import { z } from 'zod';
import { ApplianceError } from '../../errors.js';
import { MAX_IMPORT_BYTES } from '../../import/contract.js';
import type { ImportPreview } from '../../import/index.js';
import { IMPORT_FORMATS, previewImport, runImport, uploadSource } from '../../import/index.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { parseBody } from '../resources.js';
import type { Ctx, Route } from '../router.js';
import type { Agrees } from '../schemas/agree.js';
import { diffEntrySchema, writeReplySchema } from '../schemas/config.js';
import { errorSchema } from '../schemas/error.js';
import { writeQuery } from '../schemas/parameters.js';
import { redactChanges } from '../secrets.js';
import { type Writer, writeReply } from '../writes.js';

/**
 * Another tool's configuration, uploaded as its files (`files`: relative name -> content;
 * `file`: the one named, whose includes resolve among the others). The files' text is
 * bounded by the importers (16 MiB together); the body's JSON escaping can add to that.
 */
const importSchema = z.strictObject({
  format: z.enum(IMPORT_FORMATS),
  file: z
    .string()
    .min(1)
    .max(4096)
    .regex(/^[^\p{Cc}]+$/u, 'must hold no control characters'),
  files: z.record(
    z
      .string()
      .min(1)
      .max(4096)
      .regex(/^[^\p{Cc}]+$/u, 'must hold no control characters'),
    z.string(),
  ),
});
const BODY_LIMIT = 2 * MAX_IMPORT_BYTES;

const previewFields = {
  format: z.enum(IMPORT_FORMATS),
  notes: z.array(
    z.strictObject({
      file: z.string(),
      line: z.int(),
      directive: z.string(),
      kind: z.enum(['unsupported', 'ambiguous', 'lossy']),
      message: z.string(),
    }),
  ),
  mapped: z.int(),
  files: z.array(z.string()),
  replaced: z.array(z.string()),
  kept: z.array(z.string()),
  changes: z.array(diffEntrySchema),
};
const _agrees: Agrees<z.ZodObject<typeof previewFields>, Omit<ImportPreview, 'errors'>> = true;

/** The preview: what the import would change, and why the result would be refused (`errors`, empty: it would not). */
const previewSchema = z.strictObject({
  baseVersion: z.int(),
  ...previewFields,
  errors: z.array(errorSchema.shape.error),
});

/** The body checked by the schema, and the file count bounded (the names are keys of one object). */
function importBody(ctx: Ctx): z.output<typeof importSchema> {
  const body = parseBody(importSchema, ctx.body);
  if (Object.keys(body.files).length > 1000) throw badRequest('files', 'must hold at most 1000 files');
  return body;
}

/**
 * `POST /config/import` previews: the import merged into the current configuration and
 * checked as a write would be, the changes it would make (secrets redacted), what it
 * replaces, and a note for every directive that did not map exactly. Nothing is stored.
 * `POST /config/import/apply` (with the `version` the preview was made from) stores the
 * same merge as a new version; a configuration changed meanwhile is a 409, as any write.
 */
export function importRoutes(deps: ApiDeps, writer: Writer): Route[] {
  const { store } = deps;
  return [
    {
      method: 'POST',
      path: '/config/import',
      summary: 'Preview an import of keepalived, ldirectord, ipvsadm or HAProxy configuration (nothing stored)',
      tag: 'configuration',
      access: 'read',
      bodyLimit: BODY_LIMIT,
      requestSchema: importSchema,
      responseSchema: previewSchema,
      handler: async (ctx) => {
        const body = importBody(ctx);
        const current = store.current();
        const result = await runImport(body.format, uploadSource(body.file, body.files));
        const { preview } = await previewImport(result, current.config);
        return { body: { baseVersion: current.version, ...preview, changes: redactChanges(preview.changes) } };
      },
    },
    {
      method: 'POST',
      path: '/config/import/apply',
      summary: 'Import keepalived, ldirectord, ipvsadm or HAProxy configuration as a new version',
      tag: 'configuration',
      access: 'write',
      query: writeQuery,
      bodyLimit: BODY_LIMIT,
      requestSchema: importSchema,
      responseSchema: writeReplySchema({ mapped: z.int(), notes: z.int() }),
      handler: async (ctx) => {
        const body = importBody(ctx);
        const base = writer.baseVersion(ctx);
        const result = await runImport(body.format, uploadSource(body.file, body.files));
        let notes = 0;
        const outcome = await writer.commit(
          ctx,
          base,
          async (config) => {
            const { preview, merged } = await previewImport(result, config);
            if (preview.errors.length > 0) {
              throw new ApplianceError(
                'CONFIG_REJECTED',
                `the import would be refused: ${preview.errors[0]?.message}`,
                {
                  issues: preview.errors.map(
                    (error) =>
                      new ApplianceError(error.code, error.message, { ...(error.field ? { field: error.field } : {}) }),
                  ),
                },
              );
            }
            notes = preview.notes.length;
            return merged;
          },
          writer.comment(ctx, `imported from ${body.format} ${body.file}`),
        );
        return { body: writeReply(outcome, { mapped: result.mapped, notes }) };
      },
    },
  ];
}
