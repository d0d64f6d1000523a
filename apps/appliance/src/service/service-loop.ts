/**
 * `serve` once the daemon is up, as a service manager expects a daemon to behave: the log
 * book's records on stdout (the journal), readiness told to systemd, SIGHUP a reload
 * (settings read again, configuration applied again), SIGTERM/SIGINT a stop. Until now
 * SIGHUP ended the process, as Node's default does.
 */
import type { Daemon } from '../daemon/daemon.js';
import type { LogLevel, LogRecord } from '../model/log-record.js';
import { logLine, wanted } from './log-lines.js';
import { sdNotify } from './sd-notify.js';
import { changedSettings, LIVE_SETTINGS, type LogFormat, readSettings, type ServiceSettings } from './settings-file.js';

/**
 * The log book's records on stdout, from the daemon's first record (startDaemon's `onLog`)
 * on; a reload changes its level and format.
 */
export class LogEcho {
  level: LogLevel;
  format: LogFormat;
  constructor(
    settings: ServiceSettings,
    private readonly out: (line: string) => void,
    private readonly journal: boolean,
  ) {
    this.level = settings.logLevel ?? 'info';
    this.format = settings.logFormat ?? 'text';
  }

  write(record: LogRecord): void {
    if (wanted(record, this.level)) this.out(logLine(record, { format: this.format, journal: this.journal }));
  }
}

export interface ServiceLoopOptions {
  daemon: Pick<Daemon, 'logs' | 'reload' | 'stop'>;
  /** Where the records go; its level and format follow the settings at reload. */
  echo: LogEcho;
  /** The settings as read at start, and the file to read again on reload (none: nothing to read). */
  settings: ServiceSettings;
  settingsFile?: string | undefined;
  /** Settings given as flags: they win over the file at reload too. */
  overrides?: ServiceSettings;
  /** The line systemd shows in `systemctl status` once ready. */
  status: string;
  /** [sd_notify over NOTIFY_SOCKET] */
  notify?: (state: string) => boolean;
}

/** Runs until SIGTERM or SIGINT, then stops the daemon. */
export async function runService(options: ServiceLoopOptions): Promise<void> {
  const { daemon, echo } = options;
  const notify = options.notify ?? ((state: string) => sdNotify(state));
  let settings = options.settings;

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
          echo.level = settings.logLevel ?? 'info';
          echo.format = settings.logFormat ?? 'text';
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
  process.on('SIGHUP', onHangup);
  try {
    notify(`READY=1\nSTATUS=${options.status}`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    notify('STOPPING=1');
    await reloading;
    await daemon.stop();
  } finally {
    process.off('SIGHUP', onHangup);
  }
}
