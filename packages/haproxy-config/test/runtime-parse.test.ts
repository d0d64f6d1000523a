import { describe, expect, it } from 'vitest';
import { adminStateOf, parseInfo, parseProc, parseServersState, parseSessions, parseStat } from '../src/index.js';

// Answers captured from Debian's HAProxy 2.6.12.
const INFO = `Name: HAProxy
Version: 2.6.12-1+deb12u4
Release_date: 2026/10/17
Nbthread: 2
Pid: 12765
Uptime: 0d 0h00m18s
Uptime_sec: 18
Maxconn: 9979
CurrConns: 3`;

const STAT = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,
f,FRONTEND,,,0,0,9979,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,
b,s1,0,0,2,5,,40,1000,2000,,0,,0,0,0,0,DOWN,10,1,0,1,1,1,1,,1,3,1,,0,,2,0,
b,BACKEND,0,0,2,5,,40,1000,2000,0,0,,0,0,0,0,UP,1,1,0,,0,66,0,,1,3,0,,40,,1,0,`;

const STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 b 1 s1 127.0.0.1 0 8 6 10 0 8 2 0 6 0 0 0 - 18081 - 0 0 - - 0
3 b 2 s2 2001:db8::2 2 1 1 1 4 1 0 2 0 0 0 0 - 18082 - 0 0 - - 0`;

const SESS = `0x7eff1c03f2c0: proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> ts=00 age=0s calls=1
0x7eff1c040000: proto=tcpv4 src=192.0.2.2:40000 fe=web be=app srv=s1 ts=00 age=1s calls=3
0x7eff1c050000: proto=tcpv4 src=192.0.2.2:40001 fe=web be=app srv=s2 ts=00 age=1s calls=3
0x7eff1c060000: proto=tcpv6 src=[2001:db8::2]:40002 fe=web be=web srv=<none> ts=00 age=0s calls=1`;

const PROC = `#<PID>          <type>          <reloads>       <uptime>        <version>
12756           master          2 [failed: 0]   0d00h01m01s     2.6.12-1+deb12u4
# workers
17677           worker          0               0d00h00m01s     2.6.12-1+deb12u4
# old workers
12765           worker          1               0d00h01m00s     2.6.12-1+deb12u4
# programs
`;

describe('runtime answers', () => {
  it('parses show info', () => {
    expect(parseInfo(INFO)).toMatchObject({
      name: 'HAProxy',
      version: '2.6.12-1+deb12u4',
      pid: 12765,
      uptimeSeconds: 18,
      maxConnections: 9979,
      currentConnections: 3,
    });
  });

  it('parses show stat CSV by its header', () => {
    const rows = parseStat(STAT);
    expect(rows.map((r) => [r.proxy, r.name, r.type, r.status, r.weight])).toEqual([
      ['f', 'FRONTEND', 'frontend', 'OPEN', undefined],
      ['b', 's1', 'server', 'DOWN', 10],
      ['b', 'BACKEND', 'backend', 'UP', 1],
    ]);
    expect(rows[1]).toMatchObject({
      currentSessions: 2,
      maxSessions: 5,
      totalSessions: 40,
      bytesIn: 1000,
      bytesOut: 2000,
    });
  });

  it('parses show servers state, folding admin bits', () => {
    const states = parseServersState(STATE);
    expect(
      states.map((s) => [s.backend, s.server, s.address, s.port, s.adminState, s.userWeight, s.initialWeight]),
    ).toEqual([
      ['b', 's1', '127.0.0.1', 18081, 'drain', 6, 10],
      ['b', 's2', '2001:db8::2', 18082, 'maint', 1, 1],
    ]);
    expect(states[1]?.operationalState).toBe(2);
  });

  it.each([
    [0, 'ready'],
    [0x01, 'maint'],
    [0x08, 'drain'],
    [0x10, 'drain'],
    [0x09, 'maint'],
    [0x20, 'maint'],
  ] as const)('admin bits %i are %s', (bits, state) => {
    expect(adminStateOf(bits)).toBe(state);
  });

  it('summarises show sess without the CLI session', () => {
    expect(parseSessions(SESS)).toEqual({
      total: 3,
      byFrontend: { web: 3 },
      byBackend: { app: 2, web: 1 },
      byServer: { 'app/s1': 1, 'app/s2': 1 },
    });
  });

  it('parses show proc with current and old workers', () => {
    expect(parseProc(PROC)).toEqual([
      { pid: 12756, role: 'master', reloads: 2, uptime: '0d00h01m01s', version: '2.6.12-1+deb12u4', old: false },
      { pid: 17677, role: 'worker', reloads: 0, uptime: '0d00h00m01s', version: '2.6.12-1+deb12u4', old: false },
      { pid: 12765, role: 'worker', reloads: 1, uptime: '0d00h01m00s', version: '2.6.12-1+deb12u4', old: true },
    ]);
  });

  it.each([
    ['show info', () => parseInfo('Unknown command')],
    ['show stat', () => parseStat('No such proxy.')],
    ['show servers state', () => parseServersState("Can't find backend.")],
    ['show proc', () => parseProc('nothing')],
  ])('refuses an unexpected %s answer with HAPROXY_UNEXPECTED_RESPONSE', (_what, parse) => {
    expect(parse).toThrow(expect.objectContaining({ code: 'HAPROXY_UNEXPECTED_RESPONSE' }));
  });
});
