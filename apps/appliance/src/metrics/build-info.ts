import { release } from 'node:os';
import type { Capability } from '../model/capability.js';
import type { BuildInfo } from './prometheus.js';

export function buildInfo(version: string, capabilities: readonly Capability[]): BuildInfo {
  const haproxy = capabilities.find((c) => c.id === 'haproxy');
  return {
    version,
    node: process.versions.node,
    haproxy: haproxy?.available ? haproxy.detail.replace(/^HAProxy\s+/, '') : '',
    kernel: release(),
  };
}
