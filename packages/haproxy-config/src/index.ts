export {
  checkModel,
  type Diagnostic,
  parseDiagnostics,
  type ValidateOptions,
  type ValidationResult,
  validate,
} from './check.js';
export { HaproxyConfigError, type HaproxyConfigErrorCode } from './errors.js';
export type * from './model.js';
export type * from './pound-model.js';
export { render } from './render.js';
export { DEFAULT_ADMIN_SOCKET, DEFAULT_TIMEOUTS } from './render-global.js';
export { renderPound } from './render-pound.js';
export { execFileRunner, type ProcessRunner, type RunResult } from './runner.js';
export { type DynamicServer, MasterClient, RuntimeClient, type RuntimeClientOptions } from './runtime.js';
export {
  type AdminState,
  adminStateOf,
  type ProcEntry,
  type ProcessInfo,
  parseInfo,
  parseProc,
  parseServersState,
  parseSessions,
  parseStat,
  type ServerState,
  type SessionSummary,
  type StatRow,
} from './runtime-parse.js';
export { type CliTransport, unixSocketTransport } from './socket.js';
export { isCookieName, isFilePath, isHeaderName, isInterfaceName, isName, isText } from './strings.js';
export { type ApplyResult, type Launcher, Supervisor, type SupervisorOptions } from './supervisor.js';
export { TLS_POLICIES, type TlsSettings } from './tls.js';
