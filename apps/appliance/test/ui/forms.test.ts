import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/model/validate.js';
import { formatPorts, getPath, parsePorts, setPath } from '../../src/ui/forms.js';

describe('UI form values', () => {
  it('reads ports and ranges, and leaves what is not a port for the schema to name', () => {
    expect(parsePorts('80, 443 8000-8100')).toEqual([80, 443, { from: 8000, to: 8100 }]);
    expect(parsePorts('  ')).toEqual([]);
    expect(parsePorts('80, http')).toEqual([80, 'http']);
    expect(formatPorts([80, { from: 8000, to: 8100 }])).toBe('80, 8000-8100');
    expect(parsePorts(formatPorts([1, { from: 2, to: 3 }]))).toEqual([1, { from: 2, to: 3 }]);
    // What the page sends is judged by the API's own validator, field by field.
    const result = validateConfig({ layer4: [{ label: 'web', vip: '192.0.2.10', ports: parsePorts('80, http') }] });
    expect(result.errors.map((e) => e.field)).toEqual(['layer4[0].ports[1]']);
  });

  it('sets dotted paths and removes emptied parents, so an empty field leaves the option out', () => {
    const service: Record<string, unknown> = { label: 'web', persistence: { timeoutSeconds: 300 } };
    setPath(service, 'persistence.granularity', 24);
    expect(service.persistence).toEqual({ timeoutSeconds: 300, granularity: 24 });
    setPath(service, 'persistence.granularity', undefined);
    setPath(service, 'persistence.timeoutSeconds', undefined);
    expect(service).toEqual({ label: 'web' });
    setPath(service, 'fallback.port', undefined);
    expect(service).toEqual({ label: 'web' });
    setPath(service, 'fallback.address', '192.0.2.200');
    expect(getPath(service, 'fallback.address')).toBe('192.0.2.200');
    expect(getPath(service, 'nothing.here')).toBeUndefined();
  });
});
