import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCerts {
  dir: string;
  /** PEM of the test CA. */
  ca: string;
  caFile: string;
  /** Valid for 2 days, for `www.example.test` and 192.0.2.2, signed by the CA. */
  good: { cert: string; key: string };
  /** Same names and CA, valid only in January 2020. */
  expired: { cert: string; key: string };
  /** A client certificate (`CN=sluice-health`) signed by the CA, for mutual TLS. */
  client: { cert: string; key: string };
}

/**
 * Makes a throw-away CA and two server certificates with the `openssl` CLI (part of every
 * Debian system; no npm dependency needed). `openssl ca` is used for the expired one,
 * since it alone in OpenSSL 3.0 accepts explicit start and end dates.
 */
export async function makeCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-health-certs-'));
  const p = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
    '-subj',
    '/CN=Sluice Test CA',
    '-days',
    '2',
  ]);
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    p('server.key'),
    '-out',
    p('server.csr'),
    '-subj',
    '/CN=www.example.test',
  ]);
  await writeFile(p('index.txt'), '');
  await writeFile(p('serial'), '1000\n');
  await writeFile(
    p('ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      `database = ${p('index.txt')}`,
      `new_certs_dir = ${dir}`,
      `serial = ${p('serial')}`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      '[ext]',
      'subjectAltName = DNS:www.example.test,IP:192.0.2.2',
      'basicConstraints = CA:FALSE',
      '[client]',
      'basicConstraints = CA:FALSE',
      'extendedKeyUsage = clientAuth',
      '',
    ].join('\n'),
  );
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    p('client.key'),
    '-out',
    p('client.csr'),
    '-subj',
    '/CN=sluice-health',
  ]);
  const sign = (out: string, dates: string[], csr = 'server.csr', extensions = 'ext') =>
    run('openssl', [
      'ca',
      '-batch',
      '-config',
      p('ca.cnf'),
      '-cert',
      p('ca.crt'),
      '-keyfile',
      p('ca.key'),
      '-in',
      p(csr),
      '-out',
      p(out),
      '-extensions',
      extensions,
      '-notext',
      ...dates,
    ]);
  await sign('good.crt', ['-days', '2']);
  await sign('expired.crt', ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  await sign('client.crt', ['-days', '2'], 'client.csr', 'client');
  const read = (name: string) => readFile(p(name), 'utf8');
  const key = await read('server.key');
  return {
    dir,
    ca: await read('ca.crt'),
    caFile: p('ca.crt'),
    good: { cert: await read('good.crt'), key },
    expired: { cert: await read('expired.crt'), key },
    client: { cert: await read('client.crt'), key: await read('client.key') },
  };
}
