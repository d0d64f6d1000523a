import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/service/settings-file.js';

describe('SLUICE_NODE_NAME', () => {
  it('names this node in an ECMP cluster; a name cluster.nodes could not hold is refused at start', () => {
    expect(parseSettings('SLUICE_NODE_NAME=lb-2.dc1\n', 'f')).toEqual({ nodeName: 'lb-2.dc1' });
    expect(parseSettings('#SLUICE_NODE_NAME=lb1\n', 'f')).toEqual({});
    expect(() => parseSettings('SLUICE_NODE_NAME=-lb\n', 'f')).toThrow(/f:1: SLUICE_NODE_NAME must be a node name/);
    expect(() => parseSettings('SLUICE_NODE_NAME="lb 1"\n', 'f')).toThrow(/must be a node name/);
  });
});
