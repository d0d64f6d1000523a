import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isAdminStateEntry } from '../../admin-states/index.js';
import { ApplianceError, fieldError } from '../../errors.js';
import type { AdminStateEntry } from '../../model/admin-state.js';
import { configSchema, defaultConfig } from '../../model/schema.js';
import { validateConfig } from '../../model/validate.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { requireObject } from '../resources.js';
import type { Route } from '../router.js';
import { configWarningSchema, versionInfoSchema } from '../schemas/config.js';
import { waitQuery, writeQuery } from '../schemas/parameters.js';
import { adminStateEntrySchema } from '../schemas/status.js';
import type { Writer } from '../writes.js';
import { BIG_BODY } from './config.js';

/** A backup file, as GET /backup makes it and POST /restore takes it back. */
const backupSchema = z.strictObject({
  format: z.literal('sluice-backup'),
  formatVersion: z.literal(1),
  created: z.string(),
  appliance: z.string(),
  configVersion: z.int(),
  config: configSchema,
  history: z.array(versionInfoSchema),
  adminStates: z.array(adminStateEntrySchema),
  checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});

/** The statuses of a write that takes no version (writes.ts `commit`). */
const UNVERSIONED_WRITE = [409, 422, 502, 503];

const FORMAT = 'sluice-backup';
const checksumOf = (content: unknown) => `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;

function invalid(message: string, field?: string, issues?: readonly ApplianceError[]): ApplianceError {
  return new ApplianceError('BACKUP_INVALID', `not restored: ${message}`, {
    ...(field === undefined ? {} : { field }),
    ...(issues === undefined ? {} : { issues }),
  });
}

/**
 * Backup holds the current configuration (users and their password hashes included),
 * the history's metadata (who changed what when; for reading, a restore does not rewrite
 * history) and the admin states. API tokens and sessions are node-local credentials and
 * stay out. A checksum over the content tells a damaged or hand-edited file.
 */
export function maintenanceRoutes(deps: ApiDeps, writer: Writer, now: () => Date): Route[] {
  const { store, adminStates, logs } = deps;
  return [
    {
      method: 'GET',
      path: '/backup',
      summary: 'Download a backup (configuration, history metadata, admin states, users)',
      tag: 'maintenance',
      access: 'write',
      responseSchema: backupSchema,
      responseHeaders: {
        'Content-Disposition': {
          description: 'attachment; filename="sluice-backup-v<version>-<time>.json"',
          schema: { type: 'string' },
        },
      },
      handler: async () => {
        const current = store.current();
        const content = {
          format: FORMAT,
          formatVersion: 1,
          created: now().toISOString(),
          appliance: deps.version,
          configVersion: current.version,
          config: current.config,
          history: await store.history({ limit: 1000 }),
          adminStates: adminStates.list(),
        };
        const stamp = content.created.replace(/[:.]/g, '-');
        return {
          body: { ...content, checksum: checksumOf(content) },
          headers: { 'content-disposition': `attachment; filename="sluice-backup-v${current.version}-${stamp}.json"` },
        };
      },
    },
    {
      method: 'POST',
      path: '/restore',
      summary: 'Restore a backup (checked whole first: a bad backup changes nothing)',
      tag: 'maintenance',
      access: 'write',
      query: waitQuery,
      bodyLimit: BIG_BODY,
      requestSchema: backupSchema,
      responseSchema: z.strictObject({
        version: z.int(),
        warnings: z.array(configWarningSchema),
        adminStates: z.int().describe('the admin states restored'),
      }),
      errors: UNVERSIONED_WRITE,
      handler: async (ctx) => {
        if (typeof ctx.body !== 'object' || ctx.body === null || Array.isArray(ctx.body))
          throw invalid('the body is not a backup');
        const { checksum, ...content } = ctx.body as Record<string, unknown>;
        if (content.format !== FORMAT || content.formatVersion !== 1)
          throw invalid('this is not a Sluice backup (format)', 'format');
        if (typeof checksum !== 'string' || checksum !== checksumOf(content)) {
          throw invalid('the checksum does not match: the file is damaged or was edited', 'checksum');
        }
        const allowed = new Set([
          'format',
          'formatVersion',
          'created',
          'appliance',
          'configVersion',
          'config',
          'history',
          'adminStates',
        ]);
        for (const key of Object.keys(content)) if (!allowed.has(key)) throw invalid(`unknown field ${key}`, key);
        const checked = validateConfig(content.config);
        if (!checked.ok) throw invalid('its configuration is invalid', 'config', checked.errors);
        const states = content.adminStates ?? [];
        if (!Array.isArray(states) || !states.every(isAdminStateEntry))
          throw invalid('malformed admin states', 'adminStates');
        const config = checked.config;
        const known = (entry: AdminStateEntry) =>
          config[entry.layer].some(
            (s) => s.label === entry.service && s.realServers.some((r) => r.label === entry.server),
          );
        let outcome: Awaited<ReturnType<Writer['commit']>>;
        try {
          outcome = await writer.commit(
            ctx,
            store.current().version,
            () => config,
            writer.comment(
              ctx,
              `restore of the backup of version ${String(content.configVersion).slice(0, 20)} made ${String(content.created).slice(0, 40)}`,
            ),
            [],
            // A backup comes back as it was made: no default check added to its services.
            { defaults: false, record: true },
          );
        } catch (error) {
          if (error instanceof ApplianceError && error.code === 'CONFIG_REJECTED') {
            throw invalid(error.message, error.field, error.issues);
          }
          throw error;
        }
        await adminStates.replaceAll((states as AdminStateEntry[]).filter(known));
        logs.write(
          'audit',
          'info',
          `${ctx.principal?.user}: restored a backup as version ${outcome.result.version.version}`,
        );
        return {
          body: {
            version: outcome.result.version.version,
            warnings: [...outcome.result.warnings, ...(outcome.hostWarnings ?? [])],
            adminStates: adminStates.list().length,
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/factory-reset',
      summary: 'Restore factory defaults (keeps users and admin ports so the node stays reachable)',
      tag: 'maintenance',
      access: 'write',
      query: writeQuery.pick({ wait: true }),
      requestSchema: z.strictObject({ confirm: z.literal('factory-reset') }),
      responseSchema: z.strictObject({ version: z.int() }),
      errors: UNVERSIONED_WRITE,
      handler: async (ctx) => {
        const body = requireObject(ctx.body);
        for (const key of Object.keys(body))
          if (key !== 'confirm') throw badRequest(key, 'is not a field of a factory reset');
        if (body.confirm !== 'factory-reset') {
          throw fieldError(
            'API_BAD_REQUEST',
            'confirm',
            'must be "factory-reset" to confirm that everything else goes',
          );
        }
        const outcome = await writer.commit(
          ctx,
          store.current().version,
          (config) => ({ ...defaultConfig(), administration: config.administration }),
          'factory reset',
          [],
          { record: true },
        );
        await adminStates.replaceAll([]);
        return { body: { version: outcome.result.version.version } };
      },
    },
  ];
}
