import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/service/settings-file.js';

describe('SLUICE_HOST_NETWORK and SLUICE_NETWORK_CONFIRM_SECONDS', () => {
  it('take manage or off, and seconds within 5-3600', () => {
    expect(parseSettings('SLUICE_HOST_NETWORK=manage\nSLUICE_NETWORK_CONFIRM_SECONDS=30\n', 'f')).toEqual({
      hostNetwork: 'manage',
      networkConfirmSeconds: 30,
    });
    expect(parseSettings('#SLUICE_HOST_NETWORK=off\n', 'f')).toEqual({});
    expect(() => parseSettings('SLUICE_HOST_NETWORK=yes\n', 'f')).toThrow(
      'f:1: SLUICE_HOST_NETWORK must be manage or off, not "yes"',
    );
    for (const bad of ['4', '3601', '1.5', '-10']) {
      expect(() => parseSettings(`SLUICE_NETWORK_CONFIRM_SECONDS=${bad}`, 'f')).toThrow(
        expect.objectContaining({ code: 'SETTINGS_INVALID', field: 'SLUICE_NETWORK_CONFIRM_SECONDS' }),
      );
    }
  });
});

describe('SLUICE_NODE_NAME', () => {
  it('takes a node name as cluster.nodes[].name does, and refuses anything else', () => {
    expect(parseSettings('SLUICE_NODE_NAME=lb-2.example\n', 'f')).toEqual({ nodeName: 'lb-2.example' });
    for (const bad of ['-lb', 'lb 2', 'a'.repeat(65)]) {
      expect(() => parseSettings(`SLUICE_NODE_NAME="${bad}"`, 'f')).toThrow(
        expect.objectContaining({ code: 'SETTINGS_INVALID', field: 'SLUICE_NODE_NAME' }),
      );
    }
  });
});
