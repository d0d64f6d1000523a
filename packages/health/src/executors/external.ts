import { spawn } from 'node:child_process';
import type { ExternalCheck } from '../checks.js';
import { HealthError } from '../errors.js';
import type { CheckRequest } from '../executor.js';
import { type CheckResult, fail, pass } from '../result.js';

const MAX_OUTPUT = 4096;

/**
 * Runs `command [...args] <vip> <vport> <rip> <rport>` (ldirectord's order) without a
 * shell, in its own process group; abort kills the whole group, so a script's children
 * die with it.
 */
export function runExternal(request: CheckRequest, check: ExternalCheck, signal: AbortSignal): Promise<CheckResult> {
  const vip = request.virtual?.address ?? '';
  const vport = request.virtual?.port === undefined ? '' : String(request.virtual.port);
  const rip = request.address;
  const rport = request.realPort === undefined ? '' : String(request.realPort);
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    ...check.env,
    SLUICE_VIRTUAL_ADDRESS: vip,
    SLUICE_VIRTUAL_PORT: vport,
    SLUICE_REAL_ADDRESS: rip,
    SLUICE_REAL_PORT: rport,
  };
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      resolve(fail('timeout', 'aborted before start'));
      return;
    }
    const child = spawn(check.command, [...(check.args ?? []), vip, vport, rip, rport], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < MAX_OUTPUT) output = (output + chunk.toString('utf8')).slice(0, MAX_OUTPUT);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const kill = () => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group is already gone.
        }
      }
    };
    signal.addEventListener('abort', kill, { once: true });
    child.once('error', (cause) => {
      signal.removeEventListener('abort', kill);
      reject(
        new HealthError('HEALTH_CHECK_FAILED_TO_START', `cannot run ${check.command}: ${cause.message}`, { cause }),
      );
    });
    child.once('close', (code, signalName) => {
      signal.removeEventListener('abort', kill);
      // Children that kept the group alive (and our pipes open) go too.
      kill();
      const out = output.trim();
      const extra = out ? { output: out } : {};
      if (code === 0) resolve(pass(extra));
      else if (code !== null && code >= 2 && check.dynamicWeight) resolve(pass({ ...extra, weight: code - 2 }));
      else if (code === null) resolve(fail('exit-status', `${check.command} killed by ${signalName}`, extra));
      else resolve(fail('exit-status', `${check.command} exited with ${code}`, extra));
    });
  });
}
