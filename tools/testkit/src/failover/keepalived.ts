import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NamespaceProcess } from '../netns/process.js';
import { FailoverLab, type PairLabel, type PairNode } from './lab.js';
import type { PairImplementation } from './trials.js';

/**
 * keepalived 2.2.7's configuration for one node of the pair: lba the MASTER (priority 150),
 * lbb the BACKUP, the floating IP on the LAN. Tuned: VRRPv3, advert_int 0.1 s, no delay
 * before the gratuitous ARPs; otherwise keepalived's defaults (VRRPv2, 1 s).
 */
export function keepalivedConfig(node: PairNode, tuned: boolean): string {
  return `global_defs {
  router_id ${node.label}
  ${tuned ? 'vrrp_version 3' : 'vrrp_version 2'}
  ${tuned ? 'vrrp_garp_master_delay 0' : ''}
}
vrrp_instance VI_1 {
  state ${node.label === 'lba' ? 'MASTER' : 'BACKUP'}
  interface ${node.lan}
  virtual_router_id 51
  priority ${node.label === 'lba' ? 150 : 100}
  advert_int ${tuned ? '0.1' : '1'}
  ${tuned ? 'garp_master_delay 0' : ''}
  virtual_ipaddress {
    ${FailoverLab.VIP_CIDR}
  }
}
`;
}

/**
 * keepalived on the pair (`keepalived-tuned` or `keepalived-default`), its files in `dir`.
 * Its VRRP work happens in a child process: a node's death kills both (FailoverLab.crash
 * kills the whole namespace), never the parent alone, which would let the child send a
 * priority 0 advert (an instant, unfair handover).
 */
export function keepalived(dir: string, tuned: boolean): PairImplementation {
  const procs: Partial<Record<PairLabel, NamespaceProcess>> = {};
  const name = tuned ? 'keepalived-tuned' : 'keepalived-default';
  return {
    name,
    settleMs: tuned ? 1000 : 3000,
    // The defaults' outage (3.6 s) plus the random phase (up to 1.5 s) must fit.
    ...(tuned ? {} : { probeMs: 8000 }),
    async start(node) {
      const file = join(dir, `${name}-${node.label}.conf`);
      writeFileSync(file, keepalivedConfig(node, tuned));
      const pidFiles = ['pid', 'vrrp.pid'].map((ext) => join(dir, `${name}-${node.label}.${ext}`));
      // A SIGKILLed keepalived leaves its pid files: with a pid reused since, the next one
      // would believe itself "already running" and exit.
      for (const file of pidFiles) rmSync(file, { force: true });
      procs[node.label] = node.host.spawn('/usr/sbin/keepalived', [
        '--dont-fork',
        '--log-console',
        '--vrrp',
        '--use-file',
        file,
        `--pid=${pidFiles[0]}`,
        `--vrrp_pid=${pidFiles[1]}`,
      ]);
    },
    log: (node) => procs[node.label]?.log ?? '',
  };
}
