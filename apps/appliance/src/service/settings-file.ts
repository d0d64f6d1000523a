/**
 * `/etc/default/sluice`: the node's service settings in the shell-variable syntax every
 * Debian default file uses (`KEY=value`, `#` comments, optional single or double quotes),
 * read by `serve --settings FILE` at start and again on SIGHUP (systemctl reload) rather
 * than through the unit's EnvironmentFile, which systemd reads only at start. Only the
 * names below are allowed: a misspelt name is an error at start (the service does not
 * come up half-configured) and a logged warning at reload (the running node carries on).
 */
import { readFile } from 'node:fs/promises';
import { ApplianceError } from '../errors.js';
import type { LogLevel } from '../model/log-record.js';

export type LogFormat = 'text' | 'json';

export interface ServiceSettings {
  dataDir?: string;
  httpPort?: number;
  httpsPort?: number;
  /** Addresses the web servers listen on. */
  listen?: string[];
  netns?: string;
  /** This node's name in an ECMP cluster's `cluster.nodes` (default: the host name). */
  nodeName?: string;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  /** `manage`: apply the network section to this host (the appliance image); `off` (default): store it only. */
  hostNetwork?: 'manage' | 'off';
  /** How long a network change that could lock the admin out waits for confirmation [120]. */
  networkConfirmSeconds?: number;
}

/** What a reload applies at once; the others take effect at the next restart. */
export const LIVE_SETTINGS: readonly (keyof ServiceSettings)[] = ['logLevel', 'logFormat'];

const NAMES: Record<string, keyof ServiceSettings> = {
  SLUICE_DATA_DIR: 'dataDir',
  SLUICE_HTTP_PORT: 'httpPort',
  SLUICE_HTTPS_PORT: 'httpsPort',
  SLUICE_LISTEN: 'listen',
  SLUICE_NETNS: 'netns',
  SLUICE_NODE_NAME: 'nodeName',
  SLUICE_LOG_LEVEL: 'logLevel',
  SLUICE_LOG_FORMAT: 'logFormat',
  SLUICE_HOST_NETWORK: 'hostNetwork',
  SLUICE_NETWORK_CONFIRM_SECONDS: 'networkConfirmSeconds',
};

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const invalid = (file: string, line: number, name: string, why: string) =>
  new ApplianceError('SETTINGS_INVALID', `${file}:${line}: ${name} ${why}`, { field: name });

function unquote(raw: string): string | undefined {
  const value = raw.trim();
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    const inner = value.slice(1, -1);
    // Quotes only group words here: no expansion, so no `$`, backquote or backslash in them.
    return /[$`\\]/.test(inner) && value[0] === '"' ? undefined : inner;
  }
  return /["'$`\\;&|<>()]/.test(value) ? undefined : value;
}

function port(value: string): number | undefined {
  const number = Number(value);
  return /^\d{1,5}$/.test(value) && number >= 1 && number <= 65535 ? number : undefined;
}

/** Seconds a network change waits for confirmation: long enough to reload a page, short enough to wait out. */
export function confirmSeconds(value: string): number | undefined {
  const number = Number(value);
  return /^\d{1,4}$/.test(value) && number >= 5 && number <= 3600 ? number : undefined;
}

/** The settings `text` holds; throws SETTINGS_INVALID naming the line and the setting at fault. */
export function parseSettings(text: string, file: string): ServiceSettings {
  const settings: ServiceSettings = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw invalid(file, index + 1, 'line', 'is not NAME=value');
    const [, name = '', rawValue = ''] = match;
    const key = NAMES[name];
    if (key === undefined) {
      throw invalid(file, index + 1, name, `is not a setting (known: ${Object.keys(NAMES).join(', ')})`);
    }
    const value = unquote(rawValue);
    if (value === undefined) throw invalid(file, index + 1, name, 'holds shell syntax: give a plain value');
    if (value === '') continue;
    switch (key) {
      case 'httpPort':
      case 'httpsPort': {
        const number = port(value);
        if (number === undefined) throw invalid(file, index + 1, name, `must be a port, 1-65535, not "${value}"`);
        settings[key] = number;
        break;
      }
      case 'listen':
        settings.listen = value.split(/[\s,]+/).filter(Boolean);
        break;
      case 'logLevel':
        if (!LEVELS.includes(value as LogLevel)) {
          throw invalid(file, index + 1, name, `must be one of ${LEVELS.join(', ')}, not "${value}"`);
        }
        settings.logLevel = value as LogLevel;
        break;
      case 'logFormat':
        if (value !== 'text' && value !== 'json')
          throw invalid(file, index + 1, name, `must be text or json, not "${value}"`);
        settings.logFormat = value;
        break;
      case 'dataDir':
        if (!value.startsWith('/')) throw invalid(file, index + 1, name, 'must be an absolute path');
        settings.dataDir = value;
        break;
      case 'hostNetwork':
        if (value !== 'manage' && value !== 'off')
          throw invalid(file, index + 1, name, `must be manage or off, not "${value}"`);
        settings.hostNetwork = value;
        break;
      case 'networkConfirmSeconds': {
        const seconds = confirmSeconds(value);
        if (seconds === undefined) throw invalid(file, index + 1, name, `must be seconds, 5-3600, not "${value}"`);
        settings.networkConfirmSeconds = seconds;
        break;
      }
      case 'netns':
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) throw invalid(file, index + 1, name, 'must be a namespace name');
        settings.netns = value;
        break;
      case 'nodeName':
        // As cluster.nodes[].name takes it: the two are compared as they are.
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(value)) {
          throw invalid(file, index + 1, name, 'must be a node name: letters, digits, "_", "." and "-", up to 64');
        }
        settings.nodeName = value;
        break;
    }
  }
  return settings;
}

export async function readSettings(file: string): Promise<ServiceSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ApplianceError('SETTINGS_INVALID', `cannot read ${file}: ${(error as Error).message}`, {
      field: file,
      cause: error,
    });
  }
  return parseSettings(text, file);
}

/** The names of the settings that differ between two readings (for the reload's log line). */
export function changedSettings(before: ServiceSettings, after: ServiceSettings): (keyof ServiceSettings)[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)] as (keyof ServiceSettings)[]);
  return [...keys].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}
