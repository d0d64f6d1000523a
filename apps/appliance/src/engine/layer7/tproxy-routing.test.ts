import { describe, expect, it } from 'vitest';
import { ApplianceError } from '../../errors.js';
import { type CommandResult, type CommandRunner, execRunner, TproxyRouting } from './tproxy-routing.js';

// The routing's logic over a fake runner (the real commands run in tproxy-routing.netns.test.ts).
function recorder(answer: (line: string) => Partial<CommandResult> = () => ({})) {
  const calls: string[] = [];
  const run: CommandRunner = async (file, args) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    return { ok: true, stdout: '', stderr: '', ...answer(line) };
  };
  return { calls, run };
}

describe('TproxyRouting', () => {
  it('works in the namespace it is given: ip -n, nft through ip netns exec', async () => {
    const { calls, run } = recorder();
    await new TproxyRouting({ netns: 'dp', run }).sync(true);
    expect(calls[0]).toBe('ip netns exec dp nft -f -');
    expect(calls.slice(1).every((c) => c.startsWith('ip -n dp '))).toBe(true);
    expect(calls).toContain('ip -n dp -4 rule add fwmark 21324 lookup 21324 priority 21324');
    expect(calls).toContain('ip -n dp -6 rule add fwmark 21324 lookup 21324 priority 21324');
  });

  it('adds no second rule where its rule is already', async () => {
    const existing = JSON.stringify([{ priority: 21324, src: 'all', fwmark: '0x534c', table: '21324' }]);
    const { calls, run } = recorder((line) => (line.includes('rule show') ? { stdout: existing } : {}));
    await new TproxyRouting({ run }).sync(true);
    expect(calls.filter((c) => c.includes('rule add'))).toEqual([]);
  });

  it('acts on a change only, and says nothing when there was nothing to remove', async () => {
    const { calls, run } = recorder((line) => (line.includes(' del') || line.includes('delete') ? { ok: false } : {}));
    const routing = new TproxyRouting({ run });
    expect(await routing.sync(false)).toEqual([]);
    const first = calls.length;
    expect(first).toBeGreaterThan(0);
    expect(await routing.sync(false)).toEqual([]);
    expect(calls).toHaveLength(first);
  });

  it('a failed set-up is an ENGINE_APPLY_FAILED naming the field, and the next sync tries again', async () => {
    let nftWorks = false;
    const { run } = recorder((line) =>
      line.startsWith('nft') && !nftWorks ? { ok: false, stderr: 'Error: Could not process rule' } : {},
    );
    const routing = new TproxyRouting({ run });
    const error = await routing.sync(true, 'layer7[2].tproxy').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplianceError);
    expect(error).toMatchObject({ code: 'ENGINE_APPLY_FAILED', field: 'layer7[2].tproxy' });
    nftWorks = true;
    expect(await routing.sync(true)).toHaveLength(1);
  });

  it('a program that exits without reading its input is a result, not a crash (EPIPE)', async () => {
    // `true` reads nothing; a megabyte of input cannot fit the pipe, so the write fails.
    const result = await execRunner('true', [], 'x'.repeat(1 << 20));
    expect(result.ok).toBe(true);
  });
});
