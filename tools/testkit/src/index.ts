export { DOCUMENTATION_RANGES, documentationCidr, isDocumentationAddress } from './addresses.js';
export { TestkitError, type TestkitErrorCode } from './errors.js';
export { type ExecResult, run } from './exec.js';
export { type AddressChange, AddressWatch } from './failover/address-watch.js';
export { heartbeatDaemon } from './failover/heartbeat-daemon.js';
export { keepalived, keepalivedConfig } from './failover/keepalived.js';
export { FailoverLab, PAIR_LABELS, type PairLabel, type PairNode, waitFor } from './failover/lab.js';
export { type OutageProbeResult, startProbe } from './failover/probe.js';
export { type OutageSummary, outageRatio, percentile, summarize } from './failover/stats.js';
export {
  compareFailovers,
  failoverTrials,
  type PairImplementation,
  pickImplementation,
} from './failover/trials.js';
export { listNamespaces, sweepStaleNamespaces } from './netns/cleanup.js';
export { Host, type RunningServer, type ServerInfo } from './netns/host.js';
export { Lab, type Link, type LinkOptions, Switch } from './netns/lab.js';
export { NamespaceProcess } from './netns/process.js';
export {
  type DirectorTopology,
  type DirectorTopologyOptions,
  directorTopology,
  type Forwarding,
} from './netns/topologies.js';
export { hostHasIpvs, isRoot, type KernelMode, kernelMode } from './platform.js';
export { type PackedPackage, packageFaults, packedFiles } from './publish/tarball.js';
export { type Accel, bootQemu, freePort, type QemuMachine, type QemuOptions, qemuAccel } from './qemu/machine.js';
export {
  type CodeBlock,
  codeBlocks,
  type Example,
  type ExampleClaim,
  type ExampleLanguage,
  type ExampleTier,
  type ReadmeExamples,
  readmeExamples,
  requireExamples,
} from './readme/blocks.js';
export { type ExampleRun, runExample } from './readme/run.js';
export { makeScratchProject, type ScratchProject } from './readme/scratch.js';
export { type ExampleFile, SCRATCH_TSCONFIG, typecheckExamples, writeExamples } from './readme/typecheck.js';
export {
  bootSystem,
  GUEST_FILES,
  MASKED_UNITS,
  type RunOptions,
  type SystemBoot,
  type SystemHandle,
  type SystemOptions,
} from './system/boot.js';
export type { CommandResult } from './system/channel.js';
export { describeSysroot, ensureSysroot, hostDebianSources, type Sysroot } from './system/sysroot.js';
export type { KernelAssets } from './uml/assets.js';
export type { KernelChoice, KernelKind, ProbeResult } from './uml/choice.js';
export { type KernelSelection, rigDescription, selectKernel } from './uml/select.js';
export { BOOT_MODULES, type KernelRunOptions, type KernelRunResult, runInKernel } from './uml/vm.js';
