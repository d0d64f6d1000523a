import { HaproxyConfigError } from '@sluice/haproxy-config';
import { ApplianceError, type ApplianceErrorCode } from '../../errors.js';

/**
 * Where each part of the HAProxy model came from in the appliance configuration, so that
 * an error the renderer raises about `frontends[2].rules[0].conditions[0].values[0]` reaches
 * the user as `layer7[1].urlRules[0].value`, the field they can fix.
 */
export class FieldMap {
  private readonly entries = new Map<string, string>();

  set(modelField: string, configField: string): void {
    this.entries.set(modelField, configField);
  }

  /** The configuration field of the longest mapped prefix of `modelField`. */
  translate(modelField: string): string | undefined {
    let probe = modelField;
    for (;;) {
      const found = this.entries.get(probe);
      if (found !== undefined) return found;
      const cut = Math.max(probe.lastIndexOf('.'), probe.lastIndexOf('['));
      if (cut <= 0) return undefined;
      probe = probe.slice(0, cut);
    }
  }
}

const CODES: Partial<Record<string, ApplianceErrorCode>> = {
  HAPROXY_INVALID_FIELD: 'CONFIG_INVALID',
  HAPROXY_DUPLICATE_NAME: 'CONFIG_DUPLICATE_LABEL',
  HAPROXY_UNKNOWN_REFERENCE: 'CONFIG_UNKNOWN_REFERENCE',
  HAPROXY_INCOMPATIBLE: 'CONFIG_CONFLICT',
};

/** A renderer error as the appliance's own, naming the configuration field; other errors pass through. */
export function configError(error: unknown, fields: FieldMap): unknown {
  if (!(error instanceof HaproxyConfigError)) return error;
  const code = CODES[error.code];
  if (code === undefined) return error;
  const modelField = error.field;
  const field = (modelField === undefined ? undefined : fields.translate(modelField)) ?? 'layer7';
  // The renderer's message starts with its own field path; the user's field replaces it.
  const reason =
    modelField !== undefined && error.message.startsWith(`${modelField}:`)
      ? error.message.slice(modelField.length + 1).trim()
      : error.message;
  return new ApplianceError(code, `${field}: ${reason} (HAProxy model: ${modelField ?? 'config'})`, {
    field,
    cause: error,
  });
}
