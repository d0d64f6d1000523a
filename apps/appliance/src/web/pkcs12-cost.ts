import type Forge from 'node-forge';
import { ApplianceError } from '../errors.js';

/**
 * The key derivations a PKCS#12 file may ask of node-forge, whose PKCS#12 decoding is
 * synchronous JavaScript on the event loop: every iteration holds the health checks, the
 * heartbeat and the API with it (2,000,000 iterations held them 25 s).
 *
 * Per derivation: OpenSSL writes 2,048 (PKCS12_DEFAULT_ITER, for the MAC and each PBE, in
 * 1.1 and 3.x), Windows 2,000, Java's keytool 10,000; 20,000 leaves twice the highest
 * default. For the whole file: three derivations at Java's count fit; a file of many key
 * bags does not buy more. On this appliance's hardware node-forge's PBKDF2-SHA256 runs about
 * 20,000 iterations in 0.2 s, so the worst file costs about half a second. A file written
 * with more (some tools follow the 600,000 of password-storage advice) is refused with
 * CERTIFICATE_PKCS12_ITERATIONS; `openssl pkcs12 -in f.p12 -nodes` makes the PEM to upload.
 */
export const MAX_PKCS12_ITERATIONS = 20_000;
export const MAX_PKCS12_TOTAL_ITERATIONS = 60_000;

type Kdf = (...args: never[]) => unknown;

/**
 * Runs `decode` (synchronous) with node-forge's three key derivations (the PKCS#12 MAC key,
 * the PKCS#12 PBE key, PBKDF2 of PBES2) guarded: each call's iteration count is read before
 * any iteration runs, and one past the bounds throws CERTIFICATE_PKCS12_ITERATIONS (field
 * `data`) at once. This sees every count forge would use, also those of key bags inside
 * encrypted content, which no look at the outer ASN.1 can. The guards are removed before
 * this returns; nothing else runs meanwhile, as decoding never yields.
 */
export function withIterationBudget<T>(forge: typeof Forge, decode: () => T): T {
  let total = 0;
  let refusal: ApplianceError | undefined;
  const charge = (iterations: unknown) => {
    const count = typeof iterations === 'number' ? iterations : Number.NaN;
    total += count;
    if (!(count <= MAX_PKCS12_ITERATIONS) || total > MAX_PKCS12_TOTAL_ITERATIONS) {
      refusal = new ApplianceError(
        'CERTIFICATE_PKCS12_ITERATIONS',
        `data: the PKCS#12 file asks ${Number.isNaN(count) ? 'an unreadable number of' : count} key derivation ` +
          `iterations (at most ${MAX_PKCS12_ITERATIONS} each, ${MAX_PKCS12_TOTAL_ITERATIONS} in all); ` +
          'export it again with fewer (openssl pkcs12 -export -iter 2048) or upload the PEM files',
        { field: 'data' },
      );
      throw refusal;
    }
  };
  // Each holder and the index of the iteration count in its function's arguments.
  const guarded: [Record<string, Kdf>, string, number][] = [
    [forge.pkcs12 as unknown as Record<string, Kdf>, 'generateKey', 3],
    // forge.pbe is forge.pki.pbe (the typings know neither).
    [(forge as unknown as { pbe: Record<string, Kdf> }).pbe, 'generatePkcs12Key', 3],
    [forge.pkcs5 as unknown as Record<string, Kdf>, 'pbkdf2', 2],
  ];
  const originals = guarded.map(([holder, name]) => holder[name] as Kdf);
  guarded.forEach(([holder, name, at], i) => {
    const original = originals[i] as (...args: unknown[]) => unknown;
    holder[name] = ((...args: unknown[]) => {
      charge(args[at]);
      return original.apply(holder, args);
    }) as Kdf;
  });
  try {
    const decoded = decode();
    if (refusal !== undefined) throw refusal;
    return decoded;
  } catch (error) {
    // forge may wrap what a guard threw; the refusal is what the caller must see.
    throw refusal ?? error;
  } finally {
    guarded.forEach(([holder, name], i) => {
      holder[name] = originals[i] as Kdf;
    });
  }
}
