/**
 * Applies a plan to the host: the files (files.ts), then the services told, each only
 * when its files changed: `networkctl reload` and `networkctl reconfigure` for the
 * interfaces whose file changed (networkd then sets exactly what the file says, and takes
 * away what it set before), resolved and timesyncd restarted if running, the host name set.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileRunner, type ProcessRunner } from '@sluice/haproxy-config';
import { ApplianceError } from '../errors.js';
import type { NetworkSettings } from '../model/schema.js';
import { syncFiles } from './files.js';
import { NETWORK_DIR, OWN_PREFIX, RESOLVED_FILE, renderHostNetwork, TIMESYNCD_FILE } from './render.js';

const TIMEOUT_MS = 30_000;

export interface HostApplierOptions {
  /** Where `etc/systemd/...` is ["/"]; tests point it elsewhere. */
  root?: string;
  runner?: ProcessRunner;
  /**
   * The host's name now [`<root>/etc/hostname`, which hostnamectl writes]. Not the
   * process's: the unit's ProtectHostname gives the service a name of its own.
   */
  currentHostname?: () => Promise<string | undefined>;
}

export interface HostApplyResult {
  changes: string[];
  notes: string[];
}

export function createHostApplier(options: HostApplierOptions = {}) {
  const root = options.root ?? '/';
  const runner = options.runner ?? execFileRunner;
  const currentHostname =
    options.currentHostname ??
    (() =>
      readFile(join(root, 'etc/hostname'), 'utf8').then(
        (text) => text.trim(),
        () => undefined,
      ));
  const run = async (file: string, args: string[]) => {
    let result: Awaited<ReturnType<ProcessRunner>>;
    try {
      result = await runner(file, args, { timeoutMs: TIMEOUT_MS });
    } catch (error) {
      throw new ApplianceError('NETWORK_APPLY_FAILED', `${file} ${args.join(' ')}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (result.code !== 0) {
      throw new ApplianceError(
        'NETWORK_APPLY_FAILED',
        `${file} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim() || result.stdout.trim()}`,
      );
    }
  };

  return async function apply(network: NetworkSettings): Promise<HostApplyResult> {
    const plan = renderHostNetwork(network);
    const notes = [...plan.notes];
    let files: Awaited<ReturnType<typeof syncFiles>>;
    try {
      files = await syncFiles(root, plan.files);
    } catch (error) {
      throw new ApplianceError('NETWORK_APPLY_FAILED', `writing the network files: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const changes = [...files.written.map((p) => `wrote /${p}`), ...files.removed.map((p) => `removed /${p}`)];
    const touched = [...files.written, ...files.removed];
    const links = new Set<string>();
    for (const path of touched) {
      const name = path.startsWith(`${NETWORK_DIR}/${OWN_PREFIX}`)
        ? /^10-sluice-(.+)\.(network|netdev)$/.exec(path.slice(NETWORK_DIR.length + 1))?.[1]
        : undefined;
      if (name !== undefined) links.add(name);
    }
    if (links.size > 0) {
      await run('networkctl', ['reload']);
      for (const link of links) {
        // A link that is gone (a removed interface's file) has nothing to reconfigure.
        await run('networkctl', ['reconfigure', link]).catch((error: ApplianceError) => notes.push(error.message));
      }
      changes.push(`networkd reconfigured ${[...links].join(', ')}`);
    }
    if (touched.includes(RESOLVED_FILE)) {
      await run('systemctl', ['try-restart', 'systemd-resolved.service']);
      changes.push('systemd-resolved restarted');
    }
    if (touched.includes(TIMESYNCD_FILE)) {
      await run('systemctl', ['try-restart', 'systemd-timesyncd.service']);
      changes.push('systemd-timesyncd restarted');
    }
    if (plan.hostname !== undefined && plan.hostname !== (await currentHostname())) {
      await run('hostnamectl', ['set-hostname', plan.hostname]);
      changes.push(`host name set to ${plan.hostname}`);
    }
    return { changes, notes };
  };
}

export type HostApplier = ReturnType<typeof createHostApplier>;

/** Where the trial record is kept. */
export const trialFile = (runDir: string) => join(runDir, 'network-trial.json');
