export { type ApplyOptions, apply, NFT_CHAIN, NFT_TABLE } from './apply.js';
export { type CliIo, runCli, USAGE } from './cli.js';
export {
  type DetectOptions,
  detectStuck,
  type IpvsConnection,
  type IpvsDestination,
  parseIpvsConn,
  parseIpvsServices,
  type StuckGroup,
} from './conntable.js';
export { ArpFixError, type ArpFixErrorCode } from './errors.js';
export { formatReport } from './format.js';
export {
  type Finding,
  type FindingCode,
  type InspectOptions,
  type InspectReport,
  type InterfaceArp,
  inspect,
  judge,
  type Method,
  type PortCheck,
  type VipReport,
} from './inspect.js';
export {
  type InterfaceAddress,
  type Listener,
  parseIpAddrJson,
  parseIptablesSave,
  parseNftRuleset,
  parseProcNetTcp,
  type RedirectRule,
} from './parse.js';
export {
  NFT_FILE,
  type PersistFiles,
  type PersistOptions,
  persist,
  persistFiles,
  SYSCTL_FILE,
  UNIT_FILE,
  UNIT_LINK,
  UNIT_NAME,
} from './persist.js';
export { type ProbeAnswer, type ProbeOptions, type ProbeResult, parseArping, parseNdisc6, probe } from './probe.js';
export {
  appendRecord,
  type Change,
  type ChangeRecord,
  loadRecords,
  RECORD_PATH,
  recordPath,
  storeRecords,
} from './record.js';
export { type RevertOptions, revert } from './revert.js';
export { detectNetfilter, type NetfilterBackend, readState, type ServerState } from './state.js';
export {
  type CommandResult,
  type CommandRunner,
  execRunner,
  LinuxSystem,
  type LinuxSystemOptions,
  type RealServerSystem,
} from './system.js';
export { type CheckedVip, checkVips, parseVip, type Vip, type VipSpec } from './validate.js';
export { checkAdapterName, psQuote, type WindowsFix, type WindowsOptions, windowsFix } from './windows.js';
