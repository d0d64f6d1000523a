/**
 * The HA engine process (`dist/ha-engine.js`), started by the daemon:
 *   ha-engine.js --socket <path> --pid-file <path> [--netns NAME] [--niceness N]
 * It listens on the Unix socket for the daemon (one at a time: a restarted daemon's
 * connection replaces the old one, which is how it adopts a running engine) and lives on
 * when the daemon goes away without a `shutdown`: a crashed API must not stop the
 * heartbeat. SIGTERM stops it as `shutdown` does; SIGINT and SIGHUP are the daemon's
 * (Ctrl-C in a terminal reaches the whole process group: the daemon then stops us itself).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { setPriority } from 'node:os';
import { parseArgs } from 'node:util';
import { createAddressesDriver } from '../../engine/addresses/driver.js';
import { HaEngine } from './ha-engine.js';
import { type FromEngine, LineChannel, type Push, type ToEngine, wireError } from './protocol.js';

/** While the daemon is connected, the status (the lateness histograms) goes to it this often. */
const STATUS_EVERY_MS = 1000;

const { values } = parseArgs({
  options: {
    socket: { type: 'string' },
    'pid-file': { type: 'string' },
    netns: { type: 'string' },
    niceness: { type: 'string' },
  },
  strict: true,
});
const socketPath = values.socket;
const pidFile = values['pid-file'];
if (socketPath === undefined || pidFile === undefined) {
  process.stderr.write('ha-engine: --socket and --pid-file are required\n');
  process.exit(2);
}

const say = (line: string) => process.stderr.write(`${new Date().toISOString()} ha-engine[${process.pid}]: ${line}\n`);

if (values.niceness !== undefined) {
  // keepalived runs its VRRP process at a raised priority for the same reason: a heartbeat
  // late by a scheduler's slice under load is a false failover at a 150 ms deadtime.
  try {
    setPriority(0, Number(values.niceness));
  } catch (error) {
    say(`could not raise the scheduling priority: ${(error as Error).message}`);
  }
}

let channel: LineChannel<ToEngine, FromEngine> | undefined;
let current: Socket | undefined;

function push(message: Push): void {
  if (channel !== undefined) channel.send(message);
  else if (message.type === 'log') say(`${message.level}: ${message.message}`);
}

const engine = new HaEngine({
  addresses: createAddressesDriver({
    ...(values.netns ? { netns: values.netns } : {}),
    warn: (message) => push({ type: 'log', level: 'warn', message }),
  }),
  push,
});

const server = createServer((socket) => {
  // One daemon at a time. A crashed daemon's connection is closed by the kernel, so the
  // restarted one finds the way free; a second daemon started on the same data directory
  // is refused (it would otherwise take the heartbeat from the running one).
  if (current !== undefined && !current.destroyed) {
    const refuse = new LineChannel<ToEngine, FromEngine>(
      socket,
      (request) => {
        refuse.send({
          id: request.id,
          ok: false,
          error: {
            code: 'HA_ENGINE_BUSY',
            message: 'another daemon runs on this data directory (it holds the HA engine)',
          },
        });
        socket.end();
      },
      () => undefined,
    );
    socket.on('error', () => undefined);
    return;
  }
  current = socket;
  const mine: LineChannel<ToEngine, FromEngine> = new LineChannel<ToEngine, FromEngine>(
    socket,
    (request) => {
      engine.handle(request).then(
        (result) => {
          mine.send({ id: request.id, ok: true, result: result ?? null });
          if (request.type === 'shutdown') exit(0);
        },
        (error: unknown) => mine.send({ id: request.id, ok: false, error: wireError(error) }),
      );
    },
    (reason) => say(`dropped the daemon's connection: ${reason}`),
  );
  channel = mine;
  socket.on('close', () => {
    if (current !== socket) return;
    current = undefined;
    channel = undefined;
    say('the daemon went away: the heartbeat goes on');
  });
  socket.on('error', () => undefined);
});

const statusTimer = setInterval(() => {
  if (channel !== undefined) engine.pushStatus();
}, STATUS_EVERY_MS);

let exiting = false;
function exit(code: number): void {
  if (exiting) return;
  exiting = true;
  clearInterval(statusTimer);
  server.close();
  rmSync(socketPath as string, { force: true });
  rmSync(pidFile as string, { force: true });
  // The reply to `shutdown` is flushed before the process goes.
  if (current) current.end(() => process.exit(code));
  else process.exit(code);
  setTimeout(() => process.exit(code), 1000).unref();
}

process.on('SIGTERM', () => {
  engine.handle({ type: 'shutdown' }).then(
    () => exit(0),
    (error: unknown) => {
      say(`shutdown: ${(error as Error).message}`);
      exit(1);
    },
  );
});
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

// A stale socket (an engine that died) is in the way of listen(). One that answers is a
// live engine: this one is not needed.
const live = await new Promise<boolean>((resolve) => {
  const probe = connect(socketPath, () => {
    probe.destroy();
    resolve(true);
  });
  probe.on('error', () => resolve(false));
});
if (live) {
  say(`an HA engine already listens on ${socketPath}: exiting`);
  process.exit(3);
}
rmSync(socketPath, { force: true });
server.listen(socketPath, () => {
  writeFileSync(pidFile, `${process.pid}\n`);
  say(`listening on ${socketPath}`);
});
