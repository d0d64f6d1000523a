// What a system call and a page fault cost on this kernel, seen from Node: run on the
// host and in the bench's kernel, so the README can say how much UML inflates each.
// Prints one JSON line: { syscallUs, faultUs }.
import { fstatSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const CALLS = 20_000;
let start = performance.now();
for (let i = 0; i < CALLS; i++) fstatSync(0);
const syscallUs = ((performance.now() - start) * 1000) / CALLS;

// A fresh 64 MiB buffer is mapped but untouched: writing one byte per page faults it in.
const bytes = new Uint8Array(new ArrayBuffer(64 << 20));
const before = process.resourceUsage().minorPageFault;
start = performance.now();
for (let at = 0; at < bytes.length; at += 4096) bytes[at] = 1;
const ms = performance.now() - start;
const faults = process.resourceUsage().minorPageFault - before;
console.log(JSON.stringify({ syscallUs, faultUs: (ms * 1000) / Math.max(1, faults), faults }));
