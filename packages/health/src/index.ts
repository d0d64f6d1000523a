export type {
  AgentCheck,
  CheckDefinition,
  CheckType,
  ConnectCheck,
  DnsCheck,
  DnsRecordType,
  ExternalCheck,
  GreetingCheck,
  NegotiateCheck,
  NormalizedTarget,
  OffCheck,
  OnCheck,
  PingCheck,
  ScheduleEntry,
  SendExpectCheck,
  SendExpectStep,
  TargetDefinition,
  TargetState,
  TlsCheck,
} from './checks.js';
export { CHECK_TYPES } from './checks.js';
export { type Clock, systemClock } from './clock.js';
export { HealthError, type HealthErrorCode } from './errors.js';
export type { CheckExecutor, CheckLane, CheckRequest } from './executor.js';
export { type AgentReply, parseAgentReply } from './executors/agent.js';
export { NetworkExecutor, type NetworkExecutorOptions } from './executors/index.js';
export { Pinger } from './executors/ping.js';
export { checkPort } from './ports.js';
export { Quorum, type QuorumDecision, type QuorumMember, type QuorumOptions } from './quorum.js';
export {
  type AgentAdminState,
  type CheckResult,
  classifyError,
  FAILURE_REASONS,
  type FailureReason,
} from './result.js';
export { type RunCheckOptions, runCheck } from './run-check.js';
export {
  type FeedbackEvent,
  type ResultEvent,
  Scheduler,
  type SchedulerEvents,
  type SchedulerOptions,
  type TargetSnapshot,
  type TransitionEvent,
} from './scheduler.js';
export type { LatencyStats } from './stats.js';
export { validateCheck, validateTarget } from './validate.js';
