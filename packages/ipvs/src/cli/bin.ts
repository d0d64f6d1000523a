#!/usr/bin/env node
import { text } from 'node:stream/consumers';
import { main } from './main.js';

// A closed pipe (`sluice-ipvs -Ln | head`) ends the program quietly, as for ipvsadm.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: () => text(process.stdin),
}).then((code) => {
  process.exitCode = code;
});
