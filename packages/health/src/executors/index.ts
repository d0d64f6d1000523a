import type { CheckExecutor, CheckRequest } from '../executor.js';
import { type CheckResult, fail, pass } from '../result.js';
import { runAgent } from './agent.js';
import { runConnect } from './connect.js';
import { runDns } from './dns.js';
import { runExternal } from './external.js';
import { runGreeting, runSendExpect } from './greeting.js';
import { DispatcherCache, runNegotiate } from './negotiate.js';
import { Pinger } from './ping.js';
import { runTls } from './tls.js';

/** The real executor: sockets, undici and child processes. */
export class NetworkExecutor implements CheckExecutor {
  private readonly dispatchers = new DispatcherCache();
  private readonly pinger = new Pinger();

  async run(request: CheckRequest, signal: AbortSignal): Promise<CheckResult> {
    const { check } = request;
    const port = request.port;
    const needPort = (): number => {
      if (port === undefined) throw new TypeError(`${check.type} check without a port`);
      return port;
    };
    switch (check.type) {
      case 'on':
        return pass();
      case 'off':
        return fail('manual-off', 'check is off');
      case 'ping':
        return this.pinger.ping(request.address, signal);
      case 'connect':
        return runConnect(request, needPort(), signal);
      case 'negotiate':
        return runNegotiate(request, check, needPort(), signal, this.dispatchers);
      case 'external':
        return runExternal(request, check, signal);
      case 'agent':
        return runAgent(request, check, signal);
      case 'dns':
        return runDns(request, check, needPort(), signal);
      case 'smtp':
      case 'pop3':
      case 'imap':
      case 'ftp':
        return runGreeting(request, check, needPort(), signal);
      case 'tls':
        return runTls(request, check, needPort(), signal);
      case 'send-expect':
        return runSendExpect(request, check, needPort(), signal);
    }
  }

  /** Closes pooled HTTP dispatchers and the ICMP sockets. */
  async close(): Promise<void> {
    await Promise.all([this.dispatchers.close(), this.pinger.close()]);
  }
}
