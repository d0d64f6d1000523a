import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

/**
 * A throwaway PKI made at test time with the openssl CLI (Debian's, already a dependency
 * of HAProxy's TLS): a CA, then `site.pem` (site.example.com, with SANs for the test
 * addresses), `other.pem` and `certs/extra.pem`, each PEM holding certificate and key.
 */
export async function makeTestPki(): Promise<{
  dir: string;
  ca: string;
  site: string;
  other: string;
  certsDir: string;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-haproxy-pki-'));
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=Sluice Test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  const leaf = async (name: string, cn: string, sans: string) => {
    await openssl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        `/CN=${cn}`,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
      ],
      dir,
    );
    await writeFile(join(dir, `${name}.ext`), `subjectAltName=${sans}\n`);
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      ],
      dir,
    );
    const pem = `${await readFile(join(dir, `${name}.crt`), 'utf8')}${await readFile(join(dir, `${name}.key`), 'utf8')}`;
    return pem;
  };
  await writeFile(
    join(dir, 'site.pem'),
    await leaf('site', 'site.example.com', 'DNS:site.example.com,IP:192.0.2.1,IP:198.51.100.1,IP:203.0.113.1'),
  );
  await writeFile(join(dir, 'other.pem'), await leaf('other', 'other.example.com', 'DNS:other.example.com'));
  await mkdir(join(dir, 'certs'));
  await writeFile(join(dir, 'certs', 'extra.pem'), await leaf('extra', 'extra.example.com', 'DNS:extra.example.com'));
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    site: join(dir, 'site.pem'),
    other: join(dir, 'other.pem'),
    certsDir: join(dir, 'certs'),
  };
}
