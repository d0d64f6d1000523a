import { describe, expect, test } from 'vitest';
import { ApplianceError } from '../../src/errors.js';
import { importKeepalived } from '../../src/import/keepalived/index.js';
import { MAX_IMPORT_BYTES } from '../../src/import/lvs-shared.js';
import { validateConfig } from '../../src/model/validate.js';
import { corpusSuite, refusal } from './golden.js';
import { memorySource } from './sources.js';

const CORPUS = `${import.meta.dirname}/corpus/keepalived`;
await corpusSuite('keepalived', importKeepalived, CORPUS, '.conf', [
  'basic.conf',
  'checkers.conf',
  'groups.conf',
  'http.conf',
  'include.conf',
  'pair.conf',
]);

/** The IMPORT_INVALID error an import of `files` throws. */
const refused = (files: Record<string, string>) => refusal(importKeepalived, memorySource(files));

describe('keepalived broken input: refused whole, with file and line', () => {
  test.each([
    ['an unclosed block', 'virtual_server 192.0.2.1 80 {\n  lb_kind NAT\n', 'main.conf:3', 'is not closed'],
    ['a stray "}"', 'global_defs {\n}\n}\n', 'main.conf:3', 'closes no block'],
    ['an unclosed quote', 'vrrp_instance "VI {\n}\n', 'main.conf:1', 'quoted string'],
    ['a bad address', 'virtual_server 192.0.2.300 80 {\n}\n', 'main.conf:1', 'not an IP address'],
    ['a bad port', 'virtual_server 192.0.2.1 99999 {\n}\n', 'main.conf:1', 'from 0 to 65535'],
    [
      'an unknown scheduler',
      'virtual_server 192.0.2.1 80 {\n  lb_algo fastest\n}\n',
      'main.conf:2',
      'unknown scheduler',
    ],
    ['an unknown method', 'virtual_server 192.0.2.1 80 {\n  lb_kind BRIDGE\n}\n', 'main.conf:2', 'NAT, DR or TUN'],
    ['SCTP', 'virtual_server 192.0.2.1 80 {\n  protocol SCTP\n}\n', 'main.conf:2', 'SCTP'],
    [
      'a weight out of range',
      'virtual_server 192.0.2.1 80 {\n real_server 192.0.2.2 80 {\n  weight 70000\n }\n}\n',
      'main.conf:3',
      'weight',
    ],
    ['a bad timer', 'virtual_server 192.0.2.1 80 {\n  delay_loop soon\n}\n', 'main.conf:2', 'seconds'],
    [
      'a service twice',
      'virtual_server 192.0.2.1 80 {\n}\nvirtual_server 192.0.2.1 80 {\n}\n',
      'main.conf:3',
      'already',
    ],
    ['an unknown group', 'virtual_server group nope {\n}\n', 'main.conf:1', 'nope'],
    [
      'a huge range',
      'virtual_server_group g {\n  10.0.0.0/16 80\n}\nvirtual_server group g {\n}\n',
      'main.conf:2',
      'range',
    ],
    ['a bad VIP', 'vrrp_instance V {\n  virtual_ipaddress {\n    192.0.2.1/40\n  }\n}\n', 'main.conf:3', 'prefix'],
    [
      'mixed families',
      'virtual_server 192.0.2.1 80 {\n lb_kind NAT\n real_server 2001:db8::1 80 {\n }\n}\n',
      'main.conf:1',
      'IPv4',
    ],
  ])('%s', async (_what, text, field, message) => {
    const error = await refused({ 'main.conf': text });
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toContain(message);
  });

  test('a missing include names the include line', async () => {
    const error = await refused({ 'main.conf': '# top\ninclude missing.conf\n' });
    expect(error.field).toBe('main.conf:2');
    expect(error.message).toContain('missing.conf');
  });

  test('an error in an included file names that file', async () => {
    const error = await refused({
      'main.conf': 'include sub/x.conf\n',
      'sub/x.conf': '\nvirtual_server 1.2.3 80 {\n}\n',
    });
    expect(error.field).toBe('sub/x.conf:2');
  });
});

describe('keepalived hostile input', () => {
  test('an include loop is refused where it closes', async () => {
    const error = await refused({ 'main.conf': 'include a.conf\n', 'a.conf': '\ninclude main.conf\n' });
    expect(error.field).toBe('a.conf:2');
    expect(error.message).toContain('main.conf -> a.conf -> main.conf');
  });

  test('includes resolve against the including file and read only through the source', async () => {
    const read: string[] = [];
    const source = memorySource({ 'etc/main.conf': 'include ../other/x.conf\n', 'other/x.conf': '' }, 'etc/main.conf');
    const inner = source.read;
    source.read = (path) => {
      read.push(path);
      return inner(path);
    };
    const result = await importKeepalived(source);
    expect(read).toEqual(['etc/main.conf', 'other/x.conf']);
    expect(result.files).toEqual(['etc/main.conf', 'other/x.conf']);
  });

  test('a glob names nothing when the source cannot glob', async () => {
    const result = await importKeepalived(memorySource({ 'main.conf': 'include conf.d/*.conf\n' }));
    expect(result.files).toEqual(['main.conf']);
    expect(result.config).toEqual({});
  });

  test(`more than ${MAX_IMPORT_BYTES} bytes are refused`, async () => {
    const big = '#'.repeat(MAX_IMPORT_BYTES + 1);
    const error = await refused({ 'main.conf': big });
    expect(error.message).toContain(`${MAX_IMPORT_BYTES} bytes`);
  });

  test('names with quotes, spaces and newlines become labels the schema takes', async () => {
    const result = await importKeepalived(
      memorySource({
        'main.conf':
          'virtual_server_group "we\'b \\"x" {\n  192.0.2.1 80\n}\nvirtual_server group "we\'b \\"x" {\n  lb_kind NAT\n}\n',
      }),
    ).catch((e: unknown) => e);
    // The quote closes at the first `"`: the group name is `we'b \`, and `x" {` is not a block.
    expect(result).toBeInstanceOf(ApplianceError);
    const named = await importKeepalived(
      memorySource({
        'main.conf':
          'virtual_server_group "we\'b x" {\n  192.0.2.1 80\n}\nvirtual_server group "we\'b x" {\n  lb_kind NAT\n}\n',
      }),
    );
    expect(named.config.layer4?.[0]?.label).toBe('we-b-x_192.0.2.1_80');
    expect(validateConfig({ ...named.config }).ok).toBe(true);
  });

  test('a control character in a heartbeat key is refused at the line that made the heartbeat', async () => {
    const error = await refused({
      'main.conf':
        'vrrp_instance V {\n interface eth0\n unicast_peer {\n  10.0.0.2\n }\n authentication {\n  auth_pass 0123456789abcdef\u0001\n }\n}\n',
    });
    expect(error.field).toBe('main.conf:3');
  });
});

describe('keepalived lvs_sync_daemon forms', () => {
  const pair = (sync: string) =>
    importKeepalived(
      memorySource({
        'main.conf': `global_defs {\n  ${sync}\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  unicast_peer {\n    192.0.2.2\n  }\n  authentication {\n    auth_type PASS\n    auth_pass "a-long-shared-secret"\n  }\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n`,
      }),
    );

  test.each([
    ['interface, instance and id', 'lvs_sync_daemon eth1 VI_1 id 7', 7],
    ["without id: the instance's virtual_router_id, as keepalived takes it", 'lvs_sync_daemon eth1 VI_1', 51],
    ['without an instance: options from the second word', 'lvs_sync_daemon eth1 id 9 ttl 2', 9],
  ])('%s', async (_name, line, syncId) => {
    const result = await pair(line);
    expect(result.config.heartbeat?.connectionSync).toMatchObject({ interface: 'eth1', syncId });
  });
});
