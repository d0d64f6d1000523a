import { describe, expect, it } from 'vitest';
import { IpvsClient } from '../src/client.js';
import { IpvsError } from '../src/errors.js';
import { Cmd } from '../src/kernel/constants.js';
import { kernelError } from '../src/kernel/errors.js';
import { KernelError } from '../src/netlink/connection.js';
import type { ServiceKey } from '../src/types.js';
import { ack, cstr, FakeTransport, fakeKernel, genl, messagesOf, nla } from './fixtures/kernel.js';

const EPERM = 1;
const ENOENT = 2;
const ESRCH = 3;
const ENOMEM = 12;
const EACCES = 13;
const EBUSY = 16;
const EEXIST = 17;
const EINVAL = 22;
const ERANGE = 34;
const EOPNOTSUPP = 95;
const EAFNOSUPPORT = 97;

describe('kernelError() maps errno by command', () => {
  it.each([
    [EEXIST, Cmd.NEW_SERVICE, 'IPVS_EXISTS', /add: the service exists/],
    [EEXIST, Cmd.NEW_DEST, 'IPVS_EXISTS', /add: the destination exists/],
    [ESRCH, Cmd.DEL_SERVICE, 'IPVS_NOT_FOUND', /no such service/],
    [ESRCH, Cmd.NEW_DEST, 'IPVS_NOT_FOUND', /no such service/],
    [ESRCH, Cmd.GET_SERVICE, 'IPVS_NOT_FOUND', /no such service/],
    [ENOENT, Cmd.SET_DEST, 'IPVS_NOT_FOUND', /no such destination/],
    [ENOENT, Cmd.DEL_DEST, 'IPVS_NOT_FOUND', /no such destination/],
    [ENOENT, Cmd.NEW_SERVICE, 'IPVS_FEATURE_UNAVAILABLE', /scheduler or persistence engine/],
    [ENOENT, Cmd.SET_SERVICE, 'IPVS_FEATURE_UNAVAILABLE', /scheduler or persistence engine/],
    [ENOENT, Cmd.DEL_SERVICE, 'IPVS_NOT_FOUND', /not found/],
    [ENOENT, undefined, 'IPVS_NOT_FOUND', /not found/],
    [EPERM, Cmd.NEW_SERVICE, 'IPVS_PERMISSION', /CAP_NET_ADMIN/],
    [EACCES, Cmd.GET_SERVICE, 'IPVS_PERMISSION', /CAP_NET_ADMIN/],
    [EINVAL, Cmd.NEW_DEST, 'IPVS_KERNEL_INVALID', /EINVAL/],
    [ERANGE, Cmd.SET_DEST, 'IPVS_KERNEL_INVALID', /ERANGE/],
    [EAFNOSUPPORT, Cmd.NEW_SERVICE, 'IPVS_KERNEL_INVALID', /EAFNOSUPPORT/],
    [EOPNOTSUPP, Cmd.NEW_DEST, 'IPVS_FEATURE_UNAVAILABLE', /does not support/],
    [ENOMEM, Cmd.NEW_SERVICE, 'IPVS_KERNEL_ERROR', /ENOMEM/],
    [EBUSY, Cmd.FLUSH, 'IPVS_KERNEL_ERROR', /EBUSY/],
    [4095, Cmd.FLUSH, 'IPVS_KERNEL_ERROR', /errno 4095/],
  ] as const)('errno %i for command %s -> %s', (errno, cmd, code, message) => {
    const cause = new KernelError(errno);
    const error = kernelError(cause, 'add', cmd);
    expect(error).toBeInstanceOf(IpvsError);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith('add: ')).toBe(true);
    expect(error.errno).toBe(errno);
    expect(error.cause).toBe(cause);
  });

  it('keeps the errno name', () => {
    expect(kernelError(new KernelError(EEXIST), 'add', Cmd.NEW_SERVICE).errnoName).toBe('EEXIST');
    expect(kernelError(new KernelError(ESRCH), 'delete', Cmd.DEL_SERVICE).errnoName).toBe('ESRCH');
    expect(kernelError(new KernelError(EOPNOTSUPP), 'add', Cmd.NEW_DEST).errnoName).toBe('EOPNOTSUPP');
  });

  it('names the scheduler field when the kernel lacks the module, and no field otherwise', () => {
    expect(kernelError(new KernelError(ENOENT), 'add', Cmd.NEW_SERVICE).field).toBe('scheduler');
    expect(kernelError(new KernelError(ENOENT), 'delete', Cmd.DEL_DEST).field).toBeUndefined();
    expect(kernelError(new KernelError(EINVAL), 'add', Cmd.NEW_SERVICE).field).toBeUndefined();
  });

  it('KernelError says which errno', () => {
    const e = new KernelError(EEXIST);
    expect(e.errno).toBe(EEXIST);
    expect(e.message).toContain('EEXIST');
    expect(e.message).toContain('17');
  });
});

const TCP4: ServiceKey = { protocol: 'tcp', address: '192.0.2.10', port: 80 };
const NAT = { address: '198.51.100.20', port: 8080, forwarding: 'nat' as const };

describe('IpvsClient turns kernel errors into coded errors', () => {
  const open = (errno: (cmd: number) => number | undefined) =>
    IpvsClient.open({ transport: fakeKernel(0x21, ({ cmd }) => errno(cmd) ?? []) });

  it.each([
    ['addService EEXIST', (c: IpvsClient) => c.addService(TCP4), EEXIST, 'IPVS_EXISTS'],
    [
      'addService ENOENT (no scheduler module)',
      (c: IpvsClient) => c.addService({ ...TCP4, scheduler: 'mh' }),
      ENOENT,
      'IPVS_FEATURE_UNAVAILABLE',
    ],
    ['editService ESRCH', (c: IpvsClient) => c.editService(TCP4), ESRCH, 'IPVS_NOT_FOUND'],
    ['deleteService ESRCH', (c: IpvsClient) => c.deleteService(TCP4), ESRCH, 'IPVS_NOT_FOUND'],
    ['getService ESRCH', (c: IpvsClient) => c.getService(TCP4), ESRCH, 'IPVS_NOT_FOUND'],
    ['addDestination EEXIST', (c: IpvsClient) => c.addDestination(TCP4, NAT), EEXIST, 'IPVS_EXISTS'],
    ['addDestination ESRCH (no service)', (c: IpvsClient) => c.addDestination(TCP4, NAT), ESRCH, 'IPVS_NOT_FOUND'],
    ['editDestination ENOENT', (c: IpvsClient) => c.editDestination(TCP4, NAT), ENOENT, 'IPVS_NOT_FOUND'],
    ['deleteDestination ENOENT', (c: IpvsClient) => c.deleteDestination(TCP4, NAT), ENOENT, 'IPVS_NOT_FOUND'],
    [
      'addDestination EOPNOTSUPP (tunnel type)',
      (c: IpvsClient) => c.addDestination(TCP4, NAT),
      EOPNOTSUPP,
      'IPVS_FEATURE_UNAVAILABLE',
    ],
    ['flush EPERM', (c: IpvsClient) => c.flush(), EPERM, 'IPVS_PERMISSION'],
    ['listServices EPERM (a dump refused)', (c: IpvsClient) => c.listServices(), EPERM, 'IPVS_PERMISSION'],
    ['setTimeouts EINVAL', (c: IpvsClient) => c.setTimeouts({ tcp: 10 }), EINVAL, 'IPVS_KERNEL_INVALID'],
    [
      'startDaemon EBUSY',
      (c: IpvsClient) => c.startDaemon({ state: 'master', interface: 'eth0', syncId: 1 }),
      EBUSY,
      'IPVS_KERNEL_ERROR',
    ],
  ] as const)('%s', async (_name, call, errno, code) => {
    const client = await open(() => errno);
    const error = await call(client).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IpvsError);
    expect(error).toMatchObject({ code, errno });
    expect((error as IpvsError).cause).toBeInstanceOf(KernelError);
    expect(((error as IpvsError).cause as KernelError).errno).toBe(errno);
  });

  it('says IPVS is missing when the kernel has no IPVS family (ENOENT on lookup)', async () => {
    const transport = new FakeTransport();
    transport.onSend = (d) => {
      const [m] = messagesOf(d);
      if (m) transport.deliver(ack(m.header.seq, m.header.pid, ENOENT));
    };
    const error = await IpvsClient.open({ transport }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IPVS_UNAVAILABLE', errno: ENOENT, errnoName: 'ENOENT' });
    expect((error as Error).message).toMatch(/modprobe ip_vs/);
    expect((error as Error).message).toMatch(/CONFIG_IP_VS/);
    expect((error as Error).cause).toBeInstanceOf(KernelError);
    expect(transport.closed).toBe(true);
  });

  it('maps other lookup errors and closes the transport', async () => {
    const transport = new FakeTransport();
    transport.onSend = (d) => {
      const [m] = messagesOf(d);
      if (m) transport.deliver(ack(m.header.seq, m.header.pid, EPERM));
    };
    await expect(IpvsClient.open({ transport })).rejects.toMatchObject({ code: 'IPVS_PERMISSION', errno: EPERM });
    expect(transport.closed).toBe(true);
  });

  it('reports a family reply without an id as IPVS_PROTOCOL', async () => {
    const transport = new FakeTransport();
    transport.onSend = (d) => {
      const [m] = messagesOf(d);
      if (!m) return;
      const { seq, pid } = m.header;
      transport.deliver(genl(0x10, 1, 0, seq, pid, nla(2, cstr('IPVS'))), ack(seq, pid));
    };
    await expect(IpvsClient.open({ transport })).rejects.toMatchObject({ code: 'IPVS_PROTOCOL' });
    expect(transport.closed).toBe(true);
  });

  it('execute() matches each error to its operation and maps it by that operation command', async () => {
    // Operation 1 (NEW_DEST) exists, 2 (DEL_DEST) is missing, 0 and 3 succeed.
    const transport = fakeKernel(0x21, ({ cmd }) =>
      cmd === Cmd.NEW_DEST ? EEXIST : cmd === Cmd.DEL_DEST ? ENOENT : [],
    );
    const client = await IpvsClient.open({ transport });
    const results = await client.execute([
      { op: 'add-service', service: TCP4 },
      { op: 'add-destination', service: TCP4, destination: NAT },
      { op: 'delete-destination', service: TCP4, destination: { address: '198.51.100.21', port: 8080 } },
      { op: 'edit-service', service: { ...TCP4, scheduler: 'rr' } },
    ]);
    expect(results.map((r) => r.error?.code)).toEqual([undefined, 'IPVS_EXISTS', 'IPVS_NOT_FOUND', undefined]);
    expect(results[1]?.error?.message).toMatch(/destination exists/);
    expect(results[2]?.error?.message).toMatch(/no such destination/);
    expect(results[1]?.error?.errno).toBe(EEXIST);
    expect(results[2]?.operation.op).toBe('delete-destination');
  });
});

describe('sync daemon errors name the daemon', () => {
  it('says which daemon is running or missing', () => {
    expect(kernelError(new KernelError(17), 'start', Cmd.NEW_DAEMON).message).toBe(
      'start: that sync daemon is running',
    );
    expect(kernelError(new KernelError(ESRCH), 'stop', Cmd.DEL_DAEMON)).toMatchObject({
      code: 'IPVS_NOT_FOUND',
      message: 'stop: no such sync daemon is running',
    });
  });
});
