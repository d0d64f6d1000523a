import { describe, expect, it } from 'vitest';
import { main, restoreOperations } from '../src/cli/main.js';
import type { IpvsClient, OperationResult } from '../src/client.js';
import { IpvsError } from '../src/errors.js';
import type { Operation } from '../src/operations.js';

/** The IpvsError restoreOperations throws for `text`. */
function refusal(text: string): IpvsError {
  try {
    restoreOperations(text);
  } catch (error) {
    expect(error).toBeInstanceOf(IpvsError);
    return error as IpvsError;
  }
  throw new Error('expected the restore to be refused');
}

describe('restoreOperations', () => {
  it('cites the line of the file, comments and blank lines counted, for a syntax error', () => {
    const error = refusal('# saved\n\n-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r nowhere -g\n');
    expect(error.field).toBe('line 4');
    expect(error.message).toMatch(/^line 4: --real-server nowhere/);
  });

  it('cites the line, not an operation index, for what only validation finds (port translation in DR)', () => {
    const error = refusal('# one\n-A -t 192.0.2.10:80\n# two\n-a -t 192.0.2.10:80 -r 198.51.100.1:8080 -g\n');
    expect(error.field).toBe('line 4');
    expect(error.message).toMatch(/^line 4: destination\.port: port translation is impossible in DR mode/);
    expect(error.message).not.toMatch(/operations\[/);
  });

  it('refuses a lower threshold without an upper one, which the kernel refuses (ERANGE)', () => {
    const error = refusal('-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 198.51.100.1 -g -y 20\n');
    expect(error.field).toBe('line 2');
    expect(error.message).toMatch(/lowerThreshold: a lower threshold needs an upper threshold/);
  });

  it('refuses a threshold over INT_MAX, as ipvsadm does ("illegal u_threshold specified")', () => {
    expect(refusal('-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 198.51.100.1 -g -x 3000000000\n').field).toBe('line 2');
    expect(() =>
      restoreOperations('-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 198.51.100.1 -g -x 2147483647 -y 20\n'),
    ).not.toThrow();
  });

  it('restores a persistent service on port 0 with its real servers, as ipvsadm -S saves it', () => {
    const ops = restoreOperations(
      '-A -t 192.0.2.11:0 -s rr -p 300\n-a -t 192.0.2.11:0 -r 192.0.2.5:0 -g -w 1\n-a -t 192.0.2.11:0 -r 192.0.2.6:8080 -m -w 1\n',
    );
    expect(ops.map((o) => o.line)).toEqual([1, 2, 3]);
    expect(ops[0]?.operation).toEqual({
      op: 'add-service',
      service: { protocol: 'tcp', address: '192.0.2.11', port: 0, scheduler: 'rr', persistence: { timeout: 300 } },
    });
    expect(ops[1]?.operation).toMatchObject({ op: 'add-destination', destination: { address: '192.0.2.5', port: 0 } });
  });

  it('still refuses port 0 without persistence, as ipvsadm does', () => {
    const error = refusal('-A -t 192.0.2.12:0 -s rr\n');
    expect(error.field).toBe('line 1');
    expect(error.message).toMatch(/port 0 is only for firewall-mark services and persistent services/);
  });
});

describe('sluice-ipvs -R', () => {
  /** Runs `-R` over `text` against a client whose kernel refuses the operations `refuse` picks. */
  async function restore(text: string, refuse: (op: Operation) => boolean, json = false) {
    const out: string[] = [];
    const err: string[] = [];
    const executed: Operation[] = [];
    const client = {
      async execute(ops: readonly Operation[]): Promise<OperationResult[]> {
        executed.push(...ops);
        return ops.map((operation) =>
          refuse(operation)
            ? { operation, error: new IpvsError('IPVS_EXISTS', `${operation.op}: the destination exists`) }
            : { operation },
        );
      },
      close() {},
    } as unknown as IpvsClient;
    const status = await main(json ? ['-R', '--json'] : ['-R'], {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      readStdin: async () => text,
      open: async () => client,
    });
    return { status, out: out.join(''), err: err.join(''), executed };
  }

  const FILE = [
    '# web',
    '-A -t 192.0.2.20:80 -s rr',
    '-a -t 192.0.2.20:80 -r 198.51.100.1:80 -g',
    '-a -t 192.0.2.20:80 -r 198.51.100.1:80 -g',
    '-a -t 192.0.2.20:80 -r 198.51.100.2:80 -g',
    '',
  ].join('\n');

  it('says per line what was refused and that every other line was applied', async () => {
    let seen = 0;
    const r = await restore(
      FILE,
      (op) => op.op === 'add-destination' && op.destination.address === '198.51.100.1' && seen++ === 1,
    );
    expect(r.status).toBe(1);
    expect(r.err).toContain('sluice-ipvs: line 4: add-destination: the destination exists [IPVS_EXISTS]');
    expect(r.err).toContain('restore: 3 of 4 lines applied; refused: line 4 (every other line was applied)');
  });

  it('lists the applied lines in JSON', async () => {
    let seen = 0;
    const r = await restore(
      FILE,
      (op) => op.op === 'add-destination' && op.destination.address === '198.51.100.1' && seen++ === 1,
      true,
    );
    expect(JSON.parse(r.out)).toMatchObject({
      applied: 3,
      appliedLines: [2, 3, 5],
      failed: [{ line: 4, code: 'IPVS_EXISTS' }],
    });
  });

  it('sends nothing when any line is invalid, however late in the file', async () => {
    const r = await restore(`${FILE}-a -t 192.0.2.20:80 -r 198.51.100.3:80 -g -y 20\n`, () => false);
    expect(r.status).toBe(2);
    expect(r.executed).toEqual([]);
    expect(r.err).toMatch(/line 6: destination\.lowerThreshold/);
  });
});
