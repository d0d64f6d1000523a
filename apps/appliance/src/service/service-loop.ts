/**
 * `serve` once the daemon is up, as a service manager expects a daemon to behave: the log
 * book's records on stdout (the journal), readiness told to systemd, SIGHUP a reload
 * (settings read again, configuration applied again), SIGTERM/SIGINT a stop. Until now
 * SIGHUP ended the process, as Node's default does.
 */
import type { Daemon } from '../daemon/daemon.js';
import type { LogLevel } from '../model/log-record.js';
import { logLine, wanted } from './log-lines.js';
import { sdNotify } from './sd-notify.js';
import { changedSettings, LIVE_SETTINGS, readSettings, type ServiceSettings } from './settings-file.js';

export interface ServiceLoopOptions {
  daemon: Pick<Daemon, 'logs' | 'reload' | 'stop'>;
  /** The settings as read at start, and the file to read again on reload (none: nothing to read). */
  settings: ServiceSettings;
  settingsFile?: string | undefined;
  /** Settings given as flags: they win over the file at reload too. */
  overrides?: ServiceSettings;
  /** One line to stdout. */
  out: (line: string) => void;
  /** Prefix lines with journald's `<priority>` (stdout is the journal). */
  journal: boolean;
  /** The line systemd shows in `systemctl status` once ready. */
  status: string;
  /** [sd_notify over NOTIFY_SOCKET] */
  notify?: (state: string) => boolean;
  /** [the process's signals] Resolves the returned promise's stop, for tests. */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/** Runs until SIGTERM or SIGINT, then stops the daemon. */
export async function runService(options: ServiceLoopOptions): Promise<void> {
  const { daemon, out } = options;
  const notify = options.notify ?? ((state: string) => sdNotify(state));
  const signals = options.signals ?? process;
  let settings = options.settings;
  let level: LogLevel = settings.logLevel ?? 'info';
  let format = settings.logFormat ?? 'text';
  const unfollow = daemon.logs.follow({}, (record) => {
    if (wanted(record, level)) out(logLine(record, { format, journal: options.journal }));
  });

  let reloading: Promise<void> = Promise.resolve();
  const reload = async () => {
    notify(`RELOADING=1\nSTATUS=reloading`);
    try {
      if (options.settingsFile !== undefined) {
        try {
          const next = await readSettings(options.settingsFile);
          const changed = changedSettings(settings, next);
          const later = changed.filter((name) => !LIVE_SETTINGS.includes(name));
          if (later.length > 0) {
            daemon.logs.write(
              'system',
              'warn',
              `reload: ${later.join(', ')} changed: takes effect at the next restart`,
            );
          }
          settings = {
            ...settings,
            ...Object.fromEntries(LIVE_SETTINGS.map((name) => [name, next[name]])),
            ...options.overrides,
          };
          level = settings.logLevel ?? 'info';
          format = settings.logFormat ?? 'text';
        } catch (error) {
          // A typo in the file must not take a running node down: it keeps its settings.
          daemon.logs.write('system', 'error', `reload: settings kept: ${(error as Error).message}`);
        }
      }
      await daemon.reload();
    } catch (error) {
      daemon.logs.write('system', 'error', `reload failed: ${(error as Error).message}`);
    } finally {
      notify(`READY=1\nSTATUS=${options.status}`);
    }
  };
  // Reloads one after another: a second SIGHUP during a reload runs once the first is done.
  const onHangup = () => {
    reloading = reloading.then(reload);
  };
  signals.on('SIGHUP', onHangup);
  try {
    notify(`READY=1\nSTATUS=${options.status}`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        signals.off('SIGINT', stop);
        signals.off('SIGTERM', stop);
        resolve();
      };
      signals.on('SIGINT', stop);
      signals.on('SIGTERM', stop);
    });
    notify('STOPPING=1');
    await reloading;
    await daemon.stop();
  } finally {
    signals.off('SIGHUP', onHangup);
    unfollow();
  }
}
