// The store commit's file operations alone, 60 each, twice: create, write, fsync, link,
// unlink, directory fsync, seal (write + rename), audit line. Three ways: every step
// through the thread pool (what the store did), every step synchronous, and as the store
// does it now (durable.ts: the two fsyncs through the pool, the rest synchronous). Run on the host (`node bench/fs-ops.mjs`) or in
// the rig's kernel (`npx sluice-testkit kernel -- node bench/fs-ops.mjs`). Prints p50/p90/max.

import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = fs.mkdtempSync(join(tmpdir(), 'sluice-fs-ops-'));
const data = 'x'.repeat(600);
async function asyncCommit(i) {
  const temp = `${dir}/v${i}.tmp`;
  const h = await fsp.open(temp, 'wx', 0o600);
  await h.writeFile(data);
  await h.sync();
  await h.close();
  await fsp.link(temp, `${dir}/v${i}`);
  await fsp.unlink(temp);
  const d = await fsp.open(dir, 'r');
  await d.sync();
  await d.close();
  await fsp.writeFile(`${dir}/seal.tmp`, data);
  await fsp.rename(`${dir}/seal.tmp`, `${dir}/seal`);
  const a = await fsp.open(`${dir}/audit`, 'a');
  await a.writeFile(data);
  await a.close();
}
function syncCommit(i) {
  const temp = `${dir}/s${i}.tmp`;
  const fd = fs.openSync(temp, 'wx', 0o600);
  fs.writeSync(fd, data);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.linkSync(temp, `${dir}/s${i}`);
  fs.unlinkSync(temp);
  const d = fs.openSync(dir, 'r');
  fs.fsyncSync(d);
  fs.closeSync(d);
  fs.writeFileSync(`${dir}/seal.tmp`, data);
  fs.renameSync(`${dir}/seal.tmp`, `${dir}/seal`);
  fs.appendFileSync(`${dir}/audit`, data);
}
const fsync = (fd) => new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
async function storeCommit(i) {
  const temp = `${dir}/h${i}.tmp`;
  const fd = fs.openSync(temp, 'wx', 0o600);
  fs.writeSync(fd, data);
  await fsync(fd);
  fs.closeSync(fd);
  fs.linkSync(temp, `${dir}/h${i}`);
  fs.unlinkSync(temp);
  const d = fs.openSync(dir, 'r');
  await fsync(d);
  fs.closeSync(d);
  fs.writeFileSync(`${dir}/seal.tmp`, data);
  fs.renameSync(`${dir}/seal.tmp`, `${dir}/seal`);
  fs.appendFileSync(`${dir}/audit`, data);
}
for (const [name, f] of [
  ['async', asyncCommit],
  ['sync', syncCommit],
  ['store', storeCommit],
  ['async', asyncCommit],
  ['sync', syncCommit],
  ['store', storeCommit],
]) {
  const t = [];
  for (let i = 0; i < 60; i++) {
    const s = performance.now();
    await f(`${name}${i}${Math.random()}`);
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  console.log(name, 'p50', t[30].toFixed(2), 'p90', t[54].toFixed(2), 'max', t[59].toFixed(2));
}
fs.rmSync(dir, { recursive: true });
