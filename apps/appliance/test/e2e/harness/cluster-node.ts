// A balancer of an ECMP cluster: the real daemon in its namespace, named by SLUICE_NODE_NAME
// as cluster.nodes names it. Shared by bench/ecmp-failover.ts and the cluster's netns test.
import type { Host } from '@sluice/testkit';
import { killAll, ServeNode } from './serve-node.ts';

export class ClusterNode extends ServeNode {
  readonly name: string;
  /** Its interface on the switch (the cable a crash pulls). */
  readonly lan: string;

  constructor(name: string, host: Host, lan: string, root: string) {
    super(name, host, root, { env: { SLUICE_NODE_NAME: name } });
    this.name = name;
    this.lan = lan;
  }

  /**
   * The machine dies: the cable pulled, then every process SIGKILLed. The cable goes first
   * (milliseconds before): a killed BIRD's socket is closed by the kernel, and a FIN that
   * still reached the router would withdraw the node at once, measuring no BFD or hold time.
   */
  async crash(): Promise<void> {
    const pids = await this.pids();
    await this.host.ip(['link', 'set', this.lan, 'down']);
    killAll(pids);
    await this.killProcesses();
  }
}
