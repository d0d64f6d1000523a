export { type Diagnostic, parseDiagnostics, type ValidateOptions, type ValidationResult, validate } from './check.js';
export { HaproxyConfigError, type HaproxyConfigErrorCode } from './errors.js';
export type * from './model.js';
export type * from './pound-model.js';
export { render } from './render.js';
export { DEFAULT_ADMIN_SOCKET, DEFAULT_TIMEOUTS } from './render-global.js';
export { renderPound } from './render-pound.js';
export { execFileRunner, type ProcessRunner, type RunResult } from './runner.js';
export { TLS_POLICIES, type TlsSettings } from './tls.js';
