import { spawn } from 'node:child_process';

/**
 * systemd's side of sd_notify, as small as it is: a Unix datagram socket (a path, or
 * `@name` for an abstract one) that takes `count` datagrams and hands them back. python3
 * plays it (it is on every machine the appliance runs on: the heartbeat's announcements
 * use it); Node itself has no Unix datagram sockets.
 */
export function notifyListener(address: string, count: number) {
  const script = [
    'import json, socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    'a = sys.argv[1]',
    "s.bind('\\0' + a[1:] if a.startswith('@') else a)",
    "print('LISTENING', flush=True)",
    'for _ in range(int(sys.argv[2])):',
    '    print(json.dumps(s.recv(4096).decode()), flush=True)',
  ].join('\n');
  const child = spawn('python3', ['-c', script, address, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  const ready = new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('LISTENING')) resolve();
    }),
  );
  const received = new Promise<string[]>((resolve) =>
    child.once('exit', () =>
      resolve(
        out
          .split('\n')
          .slice(1)
          .filter(Boolean)
          .map((line) => JSON.parse(line) as string),
      ),
    ),
  );
  return { ready, received };
}
