import { describe, expect, it } from 'vitest';
import { renderLayer7 } from '../../src/engine/layer7/render.js';
import { configSchema } from '../../src/model/schema.js';
import { validateConfig } from '../../src/model/validate.js';
import { type FieldSpec, formatPorts, getPath, leaveOutLoneSwitches, parsePorts, setPath } from '../../src/ui/forms.js';
import { resourceById } from '../../src/ui/resources.js';
import { placeSelfSigned, SELF_SIGNED, selfSignedLabel } from '../../src/ui/self-signed.js';
import { webPortsText } from '../../src/ui/web-ports.js';

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

  it('leaves out an optional object whose switch is off and alone, and keeps one with more in it', () => {
    const fields: FieldSpec[] = [
      { name: 'connectionSync.enabled', label: 'on', type: 'checkbox', absentWhenAlone: true },
      { name: 'autoFailback', label: 'failback', type: 'checkbox' },
    ];
    const off: Record<string, unknown> = { autoFailback: false, connectionSync: { enabled: false } };
    leaveOutLoneSwitches(off, fields);
    expect(off).toEqual({ autoFailback: false });
    const kept = { connectionSync: { enabled: false, interface: 'eth1' } };
    leaveOutLoneSwitches(kept, fields);
    expect(kept).toEqual({ connectionSync: { enabled: false, interface: 'eth1' } });
    const on = { connectionSync: { enabled: true } };
    leaveOutLoneSwitches(on, fields);
    expect(on).toEqual({ connectionSync: { enabled: true } });
    // What the page sends for "on, no interface" is refused at the interface, the field the user must fill.
    const result = validateConfig({
      heartbeat: {
        peer: { name: 'lb2', address: '192.0.2.2' },
        links: [{ interface: 'eth0' }],
        key: 'k'.repeat(16),
        ...on,
      },
    });
    expect(result.errors.map((e) => e.field)).toEqual(['heartbeat.connectionSync.interface']);
  });

  it('judges an SSL termination with the self-signed choice as it will be written: naming its own new certificate', () => {
    const web = { label: 'web', vip: '192.0.2.10', ports: [80] };
    const termination = { label: 'web-https', vip: '192.0.2.10', service: 'web' };
    const judge = (value: Record<string, unknown>) => {
      const candidate: Record<string, unknown> = { layer7: [web] };
      candidate.ssl = [placeSelfSigned(candidate, value)];
      return { candidate, errors: validateConfig(candidate).errors.map((e) => e.message) };
    };
    expect(judge(termination).errors).toEqual(['ssl[0].certificate: is required']);
    const chosen = judge({ ...termination, certificate: SELF_SIGNED });
    expect(chosen.errors).toEqual([]);
    expect(chosen.candidate.ssl).toEqual([{ ...termination, certificate: 'web-https-selfsigned' }]);
    // Its own label, still a label at the longest termination label; never the choice's marker.
    expect(selfSignedLabel('a'.repeat(64))).toHaveLength(64);
    expect(validateConfig({ certificates: [{ label: selfSignedLabel('a'.repeat(64)), file: '/x.pem' }] }).ok).toBe(
      true,
    );
    expect(validateConfig({ certificates: [{ label: SELF_SIGNED, file: '/x.pem' }] }).ok).toBe(false);
  });

  it('offers persistence "None" once, and shows the cookie HAProxy is really written with when the name is empty', () => {
    const fields = resourceById('layer7')?.fields(configSchema.parse({})) ?? [];
    const field = (name: string) => fields.find((f) => f.name === name) as FieldSpec;
    const type = field('persistence.type');
    // The form adds no empty "(none)" choice: "none" is the model's own, and the default.
    expect(type.noEmptyChoice).toBe(true);
    expect(type.options?.filter((o) => o === 'none')).toEqual(['none']);
    expect(type.optionText?.none).toBe('None');
    const cookie = field('persistence.cookieName');
    const placeholder = (persistence: string) => cookie.placeholderFrom?.({ persistence: { type: persistence } });
    expect(placeholder('cookie-insert')).toBe('SERVERID');
    expect(placeholder('passive-cookie')).toBe('JSESSIONID');
    expect(placeholder('source-ip')).toBeUndefined();
    expect(cookie.help).toBe(
      'For cookie persistence. Empty: SERVERID for an HTTP cookie, JSESSIONID for an application cookie.',
    );
    // What the empty field stands for is what haproxy.cfg holds.
    const service = (type: string) => ({
      label: 'web',
      vip: '192.0.2.10',
      ports: [80],
      persistence: { type },
      realServers: [{ label: 'alpha', address: '198.51.100.11', port: 8080 }],
    });
    const cfg = (type: string) =>
      renderLayer7(configSchema.parse({ layer7: [service(type)] }), {
        adminSocket: '/run/sluice/admin.sock',
        serverStateFile: '/var/lib/sluice/server-state',
      }).text;
    expect(cfg('cookie-insert')).toMatch(new RegExp(`^\\s*cookie ${placeholder('cookie-insert')} insert\\b`, 'm'));
    expect(cfg('passive-cookie')).toMatch(new RegExp(`^\\s*cookie ${placeholder('passive-cookie')} prefix\\b`, 'm'));
  });
});

describe('Administration: the web ports', () => {
  it('says the ports in use, and why the configured ones differ when they do', () => {
    const configured = { httpPort: 9080, httpsPort: 9443 };
    expect(webPortsText({ httpPort: 9080, httpsPort: 9443 }, configured)).toEqual({
      now: 'The web interface and the API listen on HTTP port 9080 and HTTPS port 9443.',
    });
    const moved = webPortsText({ httpPort: 8080, httpsPort: 9443 }, configured);
    expect(moved.now).toBe('The web interface and the API listen on HTTP port 8080 and HTTPS port 9443.');
    expect(moved.differs).toBe(
      'The configured ports below (HTTP 9080, HTTPS 9443) are not in use: the appliance reads them when it starts, and --port or --https-port (SLUICE_HTTP_PORT, SLUICE_HTTPS_PORT) override them. They take effect at the next start without those.',
    );
  });
});
