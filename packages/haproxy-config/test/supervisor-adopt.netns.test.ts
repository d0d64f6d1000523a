// HAProxy is the data plane and outlives its supervisor: a supervisor that lets go
// (`detach()`, the daemon stops) leaves it serving, and the next one on the same master
// socket adopts the same process, reloading it only when the configuration differs.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HaproxyConfig, Supervisor } from '../src/index.js';
import { generationModel, makeRig, type Rig, VIP, waitFor } from './helpers/rig.js';

let rig: Rig;

function model(generation: string): HaproxyConfig {
  return generationModel(rig.dir, generation);
}

/** As the appliance's driver does: the supervisor's spawn options reach `spawn`. */
function supervisor(): Supervisor {
  return rig.supervisor({
    launcher: (args, options) => spawn('ip', ['netns', 'exec', rig.lb.netns, 'haproxy', ...args], options),
  });
}

async function generation(): Promise<string> {
  const response = await rig.curl([`http://${VIP}/`]);
  return (JSON.parse(response.body) as { headers: Record<string, string> }).headers['x-generation'] ?? '';
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Field 6 of /proc/<pid>/stat: the session id. */
async function session(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

beforeAll(async () => {
  rig = await makeRig();
  for (const [i, host] of rig.servers.entries()) await rig.echo(host, `s${i + 1}`, 8080);
});

afterAll(async () => {
  await rig?.destroy();
});

it('a detached HAProxy keeps serving; the next supervisor adopts the same process and reloads it', async () => {
  const first = supervisor();
  expect(await first.start(model('one'))).toMatchObject({ applied: true });
  const pid = first.pid as number;
  // Its own session: a signal to the daemon's process group (Ctrl-C, systemd) does not reach it.
  expect(await session(pid)).toBe(pid);
  expect(await session(pid)).not.toBe(await session(process.pid));
  await waitFor('serving', async () => ((await generation()) === 'one' ? true : undefined));

  await first.detach();
  expect(first.pid).toBeUndefined();
  expect(alive(pid)).toBe(true);
  expect(await generation()).toBe('one');

  const second = supervisor();
  // The same configuration: adopted as it is, no reload.
  expect(await second.adopt(model('one'))).toEqual({ applied: true, diagnostics: [], reload: 0 });
  expect(second.pid).toBe(pid);
  await second.detach();

  const third = supervisor();
  // Another configuration: the adopted master reloads hitlessly; its pid stays.
  expect(await third.adopt(model('two'))).toMatchObject({ applied: true, reload: 1 });
  expect(third.pid).toBe(pid);
  expect(third.running).toContain('X-Generation two');
  await waitFor('the new configuration', async () => ((await generation()) === 'two' ? true : undefined));

  // A later apply reloads the adopted master like its own.
  expect(await third.apply(model('three'))).toMatchObject({ applied: true, reload: 2 });
  await waitFor('the applied configuration', async () => ((await generation()) === 'three' ? true : undefined));

  // stop() is the one way to end it.
  await third.stop();
  expect(alive(pid)).toBe(false);
  expect(await supervisor().adopt(model('three'))).toBeUndefined();
});
