/**
 * The addresses of the ECMP cluster labs (the daemons' netns test and the failover bench):
 * a router, three balancers and one real server on one switch, documentation addresses only.
 */
export const VIP = '203.0.113.10';
export const PREFIX = `${VIP}/32`;
export const ROUTER = '192.0.2.1';
export const ROUTER_ASN = 64500;
export const CLUSTER_ASN = 64512;
export const REAL_SERVER = '192.0.2.21';
export const NODES = [
  { name: 'lb1', address: '192.0.2.11' },
  { name: 'lb2', address: '192.0.2.12' },
  { name: 'lb3', address: '192.0.2.13' },
] as const;
