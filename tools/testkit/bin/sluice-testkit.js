#!/usr/bin/env node
// The command as installed: a file that exists before the build, so npm links it at install
// time (a bin pointing into dist/ is skipped by `npm ci` in a fresh clone). The code is dist/.
import '../dist/cli.js';
