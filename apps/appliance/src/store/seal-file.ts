import { createHash, type Hash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from './durable.js';

/*
 * The seal (`validated.json`) vouches for the head of a VersionLog: it names the version, a
 * digest of the exact bytes of the files that make it (the newer of the last whole version
 * and the last snapshot, then every delta after it) and the rules its document was checked
 * against (a string the log's owner gives: seal.ts). Opening the log skips the owner's
 * check of the head when the seal holds; anything else (a file edited by hand, other
 * rules, a commit whose seal a crash cut off, no seal) means the full check.
 * Written without fsync, and after a commit rather than as part of it: a seal lost to a
 * crash costs the next open only that check.
 */

export const SEAL_FILE = 'validated.json';

export interface Seal {
  /** The rules the head was checked against (for the configuration store: seal.ts's schemaFingerprint). */
  schema: string;
  version: number;
  digest: string;
}

/**
 * The digest of a chain of version files, one link at a time: `previous` is undefined at
 * a whole version (or a snapshot). The link's bytes are fed to the returned hash, at once
 * or as they are written (a snapshot is streamed), then `digest('hex')` is the link.
 */
export function chainHash(previous: string | undefined, name: string): Hash {
  return createHash('sha256').update(`${previous ?? ''}\n${name}\n`);
}

/** One link of a chain of version files whose bytes are all at hand. */
export function chainDigest(previous: string | undefined, name: string, bytes: Buffer | string): string {
  return chainHash(previous, name).update(bytes).digest('hex');
}

/** The seal in `dataDir`, or undefined when there is none or it cannot be read. */
export async function readSeal(dataDir: string): Promise<Seal | undefined> {
  try {
    const seal = JSON.parse(await readFile(join(dataDir, SEAL_FILE), 'utf8')) as Partial<Seal>;
    if (typeof seal.schema !== 'string' || typeof seal.digest !== 'string' || !Number.isSafeInteger(seal.version)) {
      return undefined;
    }
    return seal as Seal;
  } catch {
    return undefined;
  }
}

/** Whether `seal` vouches for version `version` made of the files whose digest is `digest`, under `rules`. */
export function sealHolds(seal: Seal | undefined, version: number, digest: string | undefined, rules: string): boolean {
  return (
    seal !== undefined &&
    digest !== undefined &&
    seal.version === version &&
    seal.digest === digest &&
    seal.schema === rules
  );
}

/** Replace the seal (temporary file and rename, so a reader sees the old one or the new one). */
export async function writeSeal(dataDir: string, seal: Seal): Promise<void> {
  // Only a cost when lost: the next open checks the head in full.
  await writeFileAtomically(join(dataDir, SEAL_FILE), `${JSON.stringify(seal)}\n`, 0o600, { durable: false }).catch(
    () => undefined,
  );
}
