import { describe, expect, it } from 'vitest';
import { IpvsClient } from '../src/client.js';
import { IpvsError } from '../src/errors.js';
import { operationRequest } from '../src/operations.js';
import { type DestinationSpec, SCHEDULERS, type ServiceKey, type ServiceSpec, type SyncDaemon } from '../src/types.js';
import {
  validateDaemon,
  validateDestination,
  validateDestinationKey,
  validateService,
  validateServiceKey,
} from '../src/validate.js';
import { fakeKernel } from './fixtures/kernel.js';

/** The `field` of the IPVS_INVALID_FIELD error `fn` throws (fails if it throws anything else). */
function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(IpvsError);
    expect((error as IpvsError).code).toBe('IPVS_INVALID_FIELD');
    expect((error as IpvsError).message).toContain((error as IpvsError).field);
    return (error as IpvsError).field;
  }
  throw new Error('expected an IPVS_INVALID_FIELD error, nothing was thrown');
}

const TCP4: ServiceKey = { protocol: 'tcp', address: '192.0.2.10', port: 80 };
const TCP6: ServiceKey = { protocol: 'tcp', address: '2001:db8::10', port: 80 };
const FWMARK4: ServiceKey = { fwmark: 7, family: 4 };
// Tests feed wrong types on purpose, as JavaScript callers and parsed JSON can.
const loose = <T>(v: unknown) => v as T;

describe('validateServiceKey', () => {
  it('returns the family of a valid key', () => {
    expect(validateServiceKey(TCP4)).toBe(4);
    expect(validateServiceKey(TCP6)).toBe(6);
    expect(validateServiceKey({ protocol: 'sctp', address: '2001:DB8::1', port: 65535 })).toBe(6);
    expect(validateServiceKey({ fwmark: 0xffffffff, family: 6 })).toBe(6);
    expect(validateServiceKey({ fwmark: 1, family: 4 })).toBe(4);
  });

  it.each([
    ['a null service', null, 'service'],
    ['fwmark 0', { fwmark: 0, family: 4 }, 'fwmark'],
    ['fwmark above u32', { fwmark: 2 ** 32, family: 4 }, 'fwmark'],
    ['fwmark not an integer', { fwmark: 1.5, family: 4 }, 'fwmark'],
    ['fwmark without family', { fwmark: 1 }, 'family'],
    ['fwmark with family 5', { fwmark: 1, family: 5 }, 'family'],
    ['fwmark with an address too', { fwmark: 1, family: 4, address: '192.0.2.1' }, 'address'],
    ['an unknown protocol', { protocol: 'icmp', address: '192.0.2.1', port: 80 }, 'protocol'],
    ['an upper-case protocol', { protocol: 'TCP', address: '192.0.2.1', port: 80 }, 'protocol'],
    ['a bad IPv4 address', { protocol: 'tcp', address: '192.0.2.256', port: 80 }, 'address'],
    ['a host name', { protocol: 'tcp', address: 'www.example.com', port: 80 }, 'address'],
    ['an address with a prefix', { protocol: 'tcp', address: '192.0.2.0/24', port: 80 }, 'address'],
    ['no address', { protocol: 'tcp', port: 80 }, 'address'],
    ['port 0 on a non-fwmark service', { protocol: 'tcp', address: '192.0.2.1', port: 0 }, 'port'],
    ['port 65536', { protocol: 'tcp', address: '192.0.2.1', port: 65536 }, 'port'],
    ['a negative port', { protocol: 'udp', address: '192.0.2.1', port: -1 }, 'port'],
    ['a fractional port', { protocol: 'udp', address: '192.0.2.1', port: 80.5 }, 'port'],
    ['a port as a string', { protocol: 'udp', address: '192.0.2.1', port: '80' }, 'port'],
  ])('rejects %s', (_name, key, field) => {
    expect(fieldOf(() => validateServiceKey(loose(key)))).toBe(field);
  });

  it('says port 0 is for firewall-mark services', () => {
    expect(() => validateServiceKey({ protocol: 'tcp', address: '192.0.2.1', port: 0 })).toThrow(/firewall-mark/);
  });

  it('takes port 0 where the key may name a persistent service (every port), and says so otherwise', () => {
    expect(validateServiceKey({ ...TCP4, port: 0 }, '', { persistent: true })).toBe(4);
    expect(() => validateServiceKey({ ...TCP4, port: 0 })).toThrow(/persistent services/);
    expect(fieldOf(() => validateServiceKey({ ...TCP4, port: -1 }, '', { persistent: true }))).toBe('port');
  });

  it('prefixes the field with the caller path', () => {
    expect(fieldOf(() => validateServiceKey({ ...TCP4, port: 0 }, 'services[3]'))).toBe('services[3].port');
    expect(fieldOf(() => validateServiceKey(loose(null), 'services[3]'))).toBe('services[3]');
  });
});

describe('validateService', () => {
  it.each(SCHEDULERS)('accepts scheduler %s', (scheduler) => {
    expect(validateService({ ...TCP4, scheduler })).toBe(4);
  });

  it.each([
    ['an unknown scheduler', { ...TCP4, scheduler: 'fastest' }, 'scheduler'],
    ['sh flags on rr', { ...TCP4, scheduler: 'rr', schedulerFlags: { fallback: true } }, 'schedulerFlags'],
    ['sh-port on wlc', { ...TCP4, scheduler: 'wlc', schedulerFlags: { port: true } }, 'schedulerFlags'],
    ['scheduler flags on the default scheduler', { ...TCP4, schedulerFlags: { port: true } }, 'schedulerFlags'],
    ['persistence timeout 0', { ...TCP4, persistence: { timeout: 0 } }, 'persistence.timeout'],
    ['persistence timeout not an integer', { ...TCP4, persistence: { timeout: 1.5 } }, 'persistence.timeout'],
    ['an IPv4 netmask /33', { ...TCP4, persistence: { timeout: 60, netmask: 33 } }, 'persistence.netmask'],
    ['an IPv6 netmask /129', { ...TCP6, persistence: { timeout: 60, netmask: 129 } }, 'persistence.netmask'],
    ['a negative netmask', { ...TCP4, persistence: { timeout: 60, netmask: -1 } }, 'persistence.netmask'],
    ['one-packet on TCP', { ...TCP4, onePacket: true }, 'onePacket'],
    ['one-packet on SCTP', { ...TCP4, protocol: 'sctp', onePacket: true }, 'onePacket'],
    [
      'a persistence engine name with upper case',
      { ...TCP4, persistence: { timeout: 60 }, persistenceEngine: 'SIP' },
      'persistenceEngine',
    ],
    [
      'a persistence engine name with a space',
      { ...TCP4, persistence: { timeout: 60 }, persistenceEngine: 'sip x' },
      'persistenceEngine',
    ],
    ['a persistence engine without persistence', { ...TCP4, persistenceEngine: 'sip' }, 'persistenceEngine'],
    ['a bad key', { ...TCP4, address: '::ffff:300.1.1.1' }, 'address'],
  ])('rejects %s', (_name, spec, field) => {
    expect(fieldOf(() => validateService(loose<ServiceSpec>(spec)))).toBe(field);
  });

  it('allows sh and mh flags on sh and mh, and the third flag anywhere', () => {
    expect(validateService({ ...TCP4, scheduler: 'sh', schedulerFlags: { fallback: true, port: true } })).toBe(4);
    expect(validateService({ ...TCP4, scheduler: 'mh', schedulerFlags: { fallback: true, port: true } })).toBe(4);
    expect(validateService({ ...TCP4, scheduler: 'rr', schedulerFlags: { fallback: false, flag3: true } })).toBe(4);
  });

  it('allows netmasks up to the family width and one-packet on UDP and fwmark services', () => {
    expect(validateService({ ...TCP4, persistence: { timeout: 60, netmask: 32 } })).toBe(4);
    expect(validateService({ ...TCP4, persistence: { timeout: 60, netmask: 0 } })).toBe(4);
    expect(validateService({ ...TCP6, persistence: { timeout: 60, netmask: 128 } })).toBe(6);
    expect(validateService({ ...TCP4, protocol: 'udp', onePacket: true })).toBe(4);
    expect(validateService({ ...FWMARK4, onePacket: true })).toBe(4);
    expect(validateService({ ...TCP4, protocol: 'udp', persistence: { timeout: 1 }, persistenceEngine: 'sip' })).toBe(
      4,
    );
  });

  it('accepts a persistent service on port 0, as the kernel and ipvsadm do, and refuses one without persistence', () => {
    expect(validateService({ ...TCP4, port: 0, persistence: { timeout: 300 } })).toBe(4);
    expect(validateService({ ...TCP6, port: 0, persistence: { timeout: 300, netmask: 64 } })).toBe(6);
    expect(fieldOf(() => validateService({ ...TCP4, port: 0 }))).toBe('port');
    // Its real servers take port 0 (the client's port) in DR, as `ipvsadm -S` saves them.
    expect(() => validateDestination({ address: '198.51.100.20', port: 0 }, { ...TCP4, port: 0 })).not.toThrow();
  });

  it('prefixes nested fields', () => {
    expect(fieldOf(() => validateService({ ...TCP4, persistence: { timeout: 0 } }, 'svc'))).toBe(
      'svc.persistence.timeout',
    );
  });
});

describe('validateDestination', () => {
  const ok = (dest: DestinationSpec, service: ServiceKey = TCP4) => validateDestination(dest, service);

  it('accepts what ipvsadm accepts', () => {
    ok({ address: '198.51.100.20', port: 80 });
    ok({ address: '198.51.100.20', port: 8080, forwarding: 'nat', weight: 0 });
    ok({ address: '198.51.100.20', port: 8080, forwarding: 'nat', weight: 65535 });
    ok({ address: '198.51.100.20', port: 80, forwarding: 'dr', upperThreshold: 100, lowerThreshold: 100 });
    ok({ address: '198.51.100.20', port: 80, upperThreshold: 4294967295, lowerThreshold: 20 }); // the kernel's u32
    ok({ address: '2001:db8::20', port: 80, forwarding: 'tun' }); // mixed families need tun
    ok({ address: '198.51.100.20', port: 80, forwarding: 'tun', tunnel: { type: 'ipip' } });
    ok({
      address: '198.51.100.20',
      port: 80,
      forwarding: 'tun',
      tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' },
    });
    ok({ address: '198.51.100.20', port: 80, forwarding: 'tun', tunnel: { type: 'gre', checksum: 'csum' } });
    ok({ address: '198.51.100.20', port: 0, forwarding: 'dr' }, FWMARK4); // fwmark: any port, 0 = same
    ok({ address: '198.51.100.20', port: 443, forwarding: 'dr' }, FWMARK4);
  });

  it.each([
    ['a null destination', null, TCP4, 'destination'],
    ['a bad address', { address: '198.51.100', port: 80 }, TCP4, 'address'],
    ['no address', { port: 80 }, TCP4, 'address'],
    ['an unknown forwarding', { address: '198.51.100.20', port: 80, forwarding: 'masq' }, TCP4, 'forwarding'],
    ['IPv6 behind IPv4 with nat', { address: '2001:db8::20', port: 80, forwarding: 'nat' }, TCP4, 'address'],
    ['IPv4 behind IPv6 with dr', { address: '198.51.100.20', port: 80, forwarding: 'dr' }, TCP6, 'address'],
    ['IPv6 behind an IPv4 fwmark with dr', { address: '2001:db8::20', port: 0 }, FWMARK4, 'address'],
    ['port 65536', { address: '198.51.100.20', port: 65536, forwarding: 'nat' }, TCP4, 'port'],
    ['a negative port', { address: '198.51.100.20', port: -1, forwarding: 'nat' }, TCP4, 'port'],
    ['port translation in DR', { address: '198.51.100.20', port: 8080, forwarding: 'dr' }, TCP4, 'port'],
    ['port translation in DR by default', { address: '198.51.100.20', port: 8080 }, TCP4, 'port'],
    ['port translation in TUN', { address: '198.51.100.20', port: 8080, forwarding: 'tun' }, TCP4, 'port'],
    ['weight 65536', { address: '198.51.100.20', port: 80, weight: 65536 }, TCP4, 'weight'],
    ['weight -1', { address: '198.51.100.20', port: 80, weight: -1 }, TCP4, 'weight'],
    ['weight 1.5', { address: '198.51.100.20', port: 80, weight: 1.5 }, TCP4, 'weight'],
    ['a negative upper threshold', { address: '198.51.100.20', port: 80, upperThreshold: -1 }, TCP4, 'upperThreshold'],
    [
      'a fractional lower threshold',
      { address: '198.51.100.20', port: 80, lowerThreshold: 0.5 },
      TCP4,
      'lowerThreshold',
    ],
    [
      'lower above upper',
      { address: '198.51.100.20', port: 80, upperThreshold: 10, lowerThreshold: 11 },
      TCP4,
      'lowerThreshold',
    ],
    // The kernel compares lower > upper as they are: upper 0 (no limit) with a lower one is ERANGE.
    ['a lower threshold alone', { address: '198.51.100.20', port: 80, lowerThreshold: 20 }, TCP4, 'lowerThreshold'],
    [
      'a lower threshold with upper 0',
      { address: '198.51.100.20', port: 80, upperThreshold: 0, lowerThreshold: 50 },
      TCP4,
      'lowerThreshold',
    ],
    [
      'an upper threshold over u32',
      { address: '198.51.100.20', port: 80, upperThreshold: 2 ** 32 },
      TCP4,
      'upperThreshold',
    ],
    [
      'tunnel options with nat',
      { address: '198.51.100.20', port: 80, forwarding: 'nat', tunnel: { type: 'ipip' } },
      TCP4,
      'tunnel',
    ],
    [
      'tunnel options with the default dr',
      { address: '198.51.100.20', port: 80, tunnel: { type: 'ipip' } },
      TCP4,
      'tunnel',
    ],
    [
      'an unknown tunnel type',
      { address: '198.51.100.20', port: 80, forwarding: 'tun', tunnel: { type: 'vxlan' } },
      TCP4,
      'tunnel.type',
    ],
    [
      'gue without a port',
      { address: '198.51.100.20', port: 80, forwarding: 'tun', tunnel: { type: 'gue' } },
      TCP4,
      'tunnel.port',
    ],
    [
      'gue with port 0',
      { address: '198.51.100.20', port: 80, forwarding: 'tun', tunnel: { type: 'gue', port: 0 } },
      TCP4,
      'tunnel.port',
    ],
    [
      'gre with a port',
      { address: '198.51.100.20', port: 80, forwarding: 'tun', tunnel: { type: 'gre', port: 4754 } },
      TCP4,
      'tunnel.port',
    ],
    [
      'an unknown checksum',
      { address: '198.51.100.20', port: 80, forwarding: 'tun', tunnel: { type: 'gre', checksum: 'crc' } },
      TCP4,
      'tunnel.checksum',
    ],
    [
      'ipip with a checksum',
      { address: '198.51.100.20', port: 80, forwarding: 'tun', tunnel: { type: 'ipip', checksum: 'csum' } },
      TCP4,
      'tunnel.checksum',
    ],
    [
      'gre with remcsum',
      { address: '198.51.100.20', port: 80, forwarding: 'tun', tunnel: { type: 'gre', checksum: 'remcsum' } },
      TCP4,
      'tunnel.checksum',
    ],
  ])('rejects %s', (_name, dest, service, field) => {
    expect(fieldOf(() => validateDestination(loose<DestinationSpec>(dest), service))).toBe(field);
  });

  it('explains the DR rule with the virtual port instead of fixing it silently', () => {
    const dest = { address: '198.51.100.20', port: 8080, forwarding: 'dr' as const };
    expect(() => validateDestination(dest, TCP4)).toThrow(/port translation is impossible in DR mode.*virtual port 80/);
    expect(dest.port).toBe(8080);
  });

  it('prefixes the field', () => {
    expect(fieldOf(() => validateDestination({ address: '198.51.100.20', port: 8080 }, TCP4, 'real[1]'))).toBe(
      'real[1].port',
    );
  });
});

describe('validateDestinationKey', () => {
  it('checks the address and the port only', () => {
    validateDestinationKey({ address: '2001:db8::20', port: 0 });
    expect(fieldOf(() => validateDestinationKey({ address: 'nope', port: 80 }))).toBe('address');
    expect(fieldOf(() => validateDestinationKey({ address: '198.51.100.20', port: 70000 }))).toBe('port');
    expect(fieldOf(() => validateDestinationKey(loose(null)))).toBe('destination');
  });
});

describe('validateDaemon', () => {
  const base: SyncDaemon = { state: 'master', interface: 'eth0', syncId: 0 };

  it('accepts v1 and v2 daemons', () => {
    validateDaemon(base);
    validateDaemon({ ...base, state: 'backup', interface: 'bond0.100', syncId: 255 });
    validateDaemon({ ...base, maxLength: 1472, group: '233.252.0.1', port: 8848, ttl: 255 });
    validateDaemon({ ...base, group: 'ff15::db8:0:1' });
  });

  it.each([
    ['state', { state: 'primary' }],
    ['interface', { interface: '' }],
    ['interface', { interface: 'a-name-of-16-chr' }],
    ['interface', { interface: 'eth0; reboot' }],
    ['interface', { interface: 'eth/0' }],
    ['syncId', { syncId: 256 }],
    ['syncId', { syncId: -1 }],
    ['maxLength', { maxLength: 0 }],
    ['maxLength', { maxLength: 65536 }],
    ['group', { group: 'all-systems' }],
    ['port', { port: 0 }],
    ['port', { port: 65536 }],
    ['ttl', { ttl: 0 }],
    ['ttl', { ttl: 256 }],
  ])('rejects a bad %s', (field, change) => {
    expect(fieldOf(() => validateDaemon(loose<SyncDaemon>({ ...base, ...change })))).toBe(field);
  });
});

describe('operationRequest validates with the operation path', () => {
  it.each([
    [{ op: 'add-service', service: { ...TCP4, port: 0 } }, 'operations[2].service.port'],
    [{ op: 'edit-service', service: { ...TCP4, scheduler: 'x' } }, 'operations[2].service.scheduler'],
    [{ op: 'delete-service', service: { fwmark: 0, family: 4 } }, 'operations[2].service.fwmark'],
    [
      { op: 'add-destination', service: TCP4, destination: { address: '198.51.100.20', port: 80, weight: -1 } },
      'operations[2].destination.weight',
    ],
    [
      {
        op: 'edit-destination',
        service: { ...TCP4, protocol: 'gre' },
        destination: { address: '198.51.100.20', port: 80 },
      },
      'operations[2].service.protocol',
    ],
    [
      { op: 'delete-destination', service: TCP4, destination: { address: '198.51.100.x', port: 80 } },
      'operations[2].destination.address',
    ],
  ])('%o -> %s', (op, field) => {
    expect(fieldOf(() => operationRequest(loose(op), 0x21, 'operations[2]'))).toBe(field);
  });
});

describe('IpvsClient validates before sending', () => {
  async function open() {
    const transport = fakeKernel(0x21);
    const client = await IpvsClient.open({ transport });
    return { transport, client, sentBefore: transport.sent.length };
  }

  it('sends nothing for an invalid add, edit, delete, zero, daemon or timeout', async () => {
    const { transport, client, sentBefore } = await open();
    const attempts: [Promise<unknown>, string][] = [
      [client.addService({ ...TCP4, port: 0 }), 'service.port'],
      [client.editDestination(TCP4, { address: '198.51.100.20', port: 8080, forwarding: 'dr' }), 'destination.port'],
      [client.deleteService({ fwmark: 1, family: loose(5) }), 'service.family'],
      [client.zero({ ...TCP4, address: 'x' }), 'address'],
      [client.startDaemon({ state: 'master', interface: 'eth0', syncId: 300 }), 'syncId'],
      [client.stopDaemon(loose('primary')), 'state'],
      [client.setTimeouts({ tcp: -1 }), 'tcp'],
      [client.setTimeouts({ udp: 1.5 }), 'udp'],
      // Port 0 is a key a persistent service may have (#23): 65536 is none.
      [client.getService({ ...TCP4, port: 65536 }), 'port'],
      [client.listDestinations(loose<ServiceKey>({ ...TCP4, protocol: 'icmp' })), 'protocol'],
    ];
    for (const [attempt, field] of attempts) {
      await expect(attempt).rejects.toMatchObject({ code: 'IPVS_INVALID_FIELD', field });
    }
    expect(transport.sent).toHaveLength(sentBefore);
  });

  it('execute() checks every operation before sending any', async () => {
    const { transport, client, sentBefore } = await open();
    await expect(
      client.execute([
        { op: 'add-service', service: TCP4 },
        { op: 'add-destination', service: TCP4, destination: { address: '198.51.100.20', port: 8080 } },
      ]),
    ).rejects.toMatchObject({ code: 'IPVS_INVALID_FIELD', field: 'operations[1].destination.port' });
    expect(transport.sent).toHaveLength(sentBefore);
  });
});

describe('review fixes', () => {
  const field = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as IpvsError).field;
    }
    return undefined;
  };

  it('refuses an IPv6 persistence prefix of 0, as the kernel does, but allows IPv4 mask 0', () => {
    expect(
      field(() =>
        validateService({
          protocol: 'tcp',
          address: '2001:db8::1',
          port: 80,
          persistence: { timeout: 60, netmask: 0 },
        }),
      ),
    ).toBe('persistence.netmask');
    expect(() =>
      validateService({ protocol: 'tcp', address: '192.0.2.1', port: 80, persistence: { timeout: 60, netmask: 0 } }),
    ).not.toThrow();
  });

  it('wants a multicast sync group and a real interface name', () => {
    const daemon: SyncDaemon = { state: 'master', interface: 'eth0', syncId: 1 };
    expect(field(() => validateDaemon({ ...daemon, group: '192.0.2.1' }))).toBe('group');
    expect(field(() => validateDaemon({ ...daemon, group: '2001:db8::1' }))).toBe('group');
    expect(() => validateDaemon({ ...daemon, group: '224.0.0.81' })).not.toThrow();
    expect(() => validateDaemon({ ...daemon, group: 'ff02::81' })).not.toThrow();
    expect(field(() => validateDaemon({ ...daemon, interface: 'eth0:1' }))).toBe('interface');
  });
});
