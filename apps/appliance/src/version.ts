import { readFileSync } from 'node:fs';

let version: string | undefined;

/**
 * The version in the appliance's package.json, found upwards from this module (dist/ when
 * bundled, src/ in tests); `unknown` when it cannot be read.
 */
export function applianceVersion(): string {
  if (version !== undefined) return version;
  version = 'unknown';
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@sluice/appliance' && pkg.version) {
        version = pkg.version;
        break;
      }
    } catch {
      // not at this level
    }
  }
  return version;
}
