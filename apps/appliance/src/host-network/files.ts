/**
 * Makes the files under a root match a plan: each written only when its content differs
 * (atomically, mode 0644: networkd, resolved and timesyncd run as their own users), our
 * stale `10-sluice-*` files removed, our drop-ins removed when the plan has none. Files the
 * appliance did not write (the image's `90-sluice-factory.network`) are never touched.
 */
import { chmod, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomically } from '../store/durable.js';
import { NETWORK_DIR, OWN_PREFIX, RESOLVED_FILE, TIMESYNCD_FILE } from './render.js';

export interface FileChanges {
  /** Paths relative to the root, written or removed. */
  written: string[];
  removed: string[];
}

async function readOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Our files now under `root` (relative paths), to remove the ones a plan no longer has. */
async function ownFiles(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(root, NETWORK_DIR));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') names = [];
    else throw error;
  }
  const own = names
    .filter((name) => name.startsWith(OWN_PREFIX) && /\.(network|netdev)$/.test(name))
    .map((name) => `${NETWORK_DIR}/${name}`);
  return [...own, RESOLVED_FILE, TIMESYNCD_FILE];
}

/** What the files under `root` hold of ours now, by relative path. */
export async function readOwnFiles(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of await ownFiles(root)) {
    const text = await readOrUndefined(join(root, path));
    if (text !== undefined) out.set(path, text);
  }
  return out;
}

/** Writes `files` (relative path -> content) under `root` and removes ours that it lacks. */
export async function syncFiles(root: string, files: ReadonlyMap<string, string>): Promise<FileChanges> {
  const written: string[] = [];
  const removed: string[] = [];
  for (const [path, content] of files) {
    const file = join(root, path);
    if ((await readOrUndefined(file)) === content) continue;
    // The service's umask (0077) would make them root's alone: networkd, resolved and
    // timesyncd read them as users of their own.
    const dir = dirname(file);
    const made = await mkdir(dir, { recursive: true });
    if (made !== undefined) for (let d = dir; d.length >= made.length; d = dirname(d)) await chmod(d, 0o755);
    await writeFileAtomically(file, content, 0o644);
    await chmod(file, 0o644);
    written.push(path);
  }
  for (const path of await ownFiles(root)) {
    if (files.has(path)) continue;
    if ((await readOrUndefined(join(root, path))) === undefined) continue;
    await rm(join(root, path), { force: true });
    removed.push(path);
  }
  return { written, removed };
}
