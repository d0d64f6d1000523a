// `npm run package`: sluice-appliance_<version>_<arch>.deb, built with Debian's own
// dpkg-deb from the built appliance, its production dependencies (installed from the
// workspace's own tarballs and the npm registry, never from node_modules, so no dev
// dependency can slip in) and a Node 24 runtime of its own (the `node` package's binary
// for the target architecture, from the npm registry): nothing from npm at install time.
//
//   node scripts/package-deb.mjs [--arch amd64|arm64] [--version V] [--sourcemaps] [--out DIR]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const app = join(import.meta.dirname, '..');
const repo = join(app, '..', '..');
const here = join(app, 'packaging', 'deb');
const { values } = parseArgs({
  options: {
    arch: { type: 'string' },
    version: { type: 'string' },
    sourcemaps: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
  strict: true,
});

/** Debian's architecture names and the npm/Node names for the same machine. */
const ARCHES = { amd64: 'x64', arm64: 'arm64' };
const hostArch = Object.entries(ARCHES).find(([, node]) => node === process.arch)?.[0];
const arch = values.arch ?? hostArch;
if (!(arch in ARCHES)) fail(`--arch must be ${Object.keys(ARCHES).join(' or ')}, not ${arch}`);
const cpu = ARCHES[arch];
// Binutils for the target's machine code: the host's own, or Debian's cross binutils
// (binutils-aarch64-linux-gnu, in tools/testkit/debian-packages.txt) for arm64 on amd64.
const STRIP = { amd64: 'x86_64-linux-gnu-strip', arm64: 'aarch64-linux-gnu-strip' };
const strip = STRIP[arch];

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}
const run = (command, args, options = {}) =>
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...options })?.trim() ?? '';
const started = Date.now();
const step = (what) => console.log(`package: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

const appPackage = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
const rootPackage = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const nodeVersion = rootPackage.devDependencies?.node;
if (!nodeVersion) fail('the root package.json names no `node` version (devDependencies.node)');

// The version: the appliance's, with the commit it was built from, so that every build of
// a later commit upgrades an earlier one (dpkg compares the number after "+git").
function version() {
  if (values.version) return values.version;
  try {
    const count = run('git', ['-C', repo, 'rev-list', '--count', 'HEAD']);
    const commit = run('git', ['-C', repo, 'rev-parse', '--short=10', 'HEAD']);
    return `${appPackage.version}+git${count}.${commit}`;
  } catch {
    return appPackage.version;
  }
}
const debVersion = version();
if (!/^[0-9][A-Za-z0-9.+~-]*$/.test(debVersion)) fail(`--version ${debVersion} is not a Debian version`);

try {
  run(strip, ['--version']);
} catch {
  fail(
    `${strip} is missing: apt-get install binutils${arch === hostArch ? '' : `-${STRIP[arch].replace('-strip', '')}`}`,
  );
}

for (const built of ['dist/cli.js', 'dist/ha-engine.js', 'dist/ui/index.html']) {
  if (!existsSync(join(app, built))) fail(`${built} is missing: build first (npm run build at the root)`);
}

const out = values.out ?? join(app, 'build', 'deb');
const work = join(out, `work-${arch}`);
const root = join(work, 'root');
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'tarballs'), { recursive: true });

// 1. The appliance and the workspace packages it depends on, packed as npm would publish them.
const workspaces = [
  '@sluice/appliance',
  ...Object.keys(appPackage.dependencies).filter((name) => name.startsWith('@sluice/')),
];
const packed = JSON.parse(
  run(
    'npm',
    ['pack', '--json', '--pack-destination', join(work, 'tarballs'), ...workspaces.flatMap((w) => ['-w', w])],
    {
      cwd: repo,
    },
  ),
);
step(`packed ${packed.map((p) => p.name).join(', ')}`);

// 2. Their production dependencies for the target machine, in /usr/lib/sluice/app.
const lib = join(root, 'usr', 'lib', 'sluice');
const appDir = join(lib, 'app');
mkdirSync(appDir, { recursive: true });
const deps = Object.fromEntries(packed.map((p) => [p.name, `file:${join(work, 'tarballs', p.filename)}`]));
writeFileSync(join(appDir, 'package.json'), `${JSON.stringify({ private: true, dependencies: deps }, null, 2)}\n`);
run(
  'npm',
  [
    'install',
    '--omit=dev',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--no-package-lock',
    '--os=linux',
    `--cpu=${cpu}`,
    // One retry: an unreachable registry (or a TLS proxy whose CA did not reach npm) fails
    // the build in seconds instead of retrying every packument for many minutes.
    '--fetch-retries=1',
  ],
  { cwd: appDir },
);
// What was installed, by version, in place of the build paths.
writeFileSync(
  join(appDir, 'package.json'),
  `${JSON.stringify({ private: true, dependencies: Object.fromEntries(packed.map((p) => [p.name, p.version])) }, null, 2)}\n`,
);
step('installed the production dependencies');

// Source maps only when asked (they double the appliance's size and help only a debugger).
/** Every regular file under `dir` (symbolic links are not files: dpkg lists no sums for them). */
function walk(dir, visit) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    else if (entry.isFile()) visit(path);
  }
}
if (!values.sourcemaps) walk(appDir, (path) => path.endsWith('.map') && rmSync(path));
// What only a developer's machine uses: type declarations, other machines' binaries (musl,
// other architectures), npm's command links (the package runs /usr/bin/sluice-appliance).
const modules = join(appDir, 'node_modules');
const prune = [
  '.bin',
  '@types',
  // Build tools and sources of the native modules (their prebuilt binaries stay).
  'koffi/cnoke.cjs',
  'koffi/src/koffi/src/trampolines.cjs',
  'node-addon-api',
  'node-gyp-build/bin.js',
  'node-gyp-build/build-test.js',
  'node-gyp-build/optional.js',
  // The packages' own command links; the appliance's command is /usr/bin/sluice-appliance.
  ...packed.map((p) => join(p.name, 'bin')),
  ...readdirSync(join(modules, '@koromix')).flatMap((name) =>
    readdirSync(join(modules, '@koromix', name))
      .filter((dir) => dir.startsWith('musl_'))
      .map((dir) => join('@koromix', name, dir)),
  ),
  ...(existsSync(join(modules, 'netlink', 'prebuilds'))
    ? readdirSync(join(modules, 'netlink', 'prebuilds'))
        .filter((dir) => dir !== `linux-${cpu}`)
        .map((dir) => join('netlink', 'prebuilds', dir))
    : []),
];
for (const path of prune) rmSync(join(modules, path), { recursive: true, force: true });
walk(appDir, (path) => path.endsWith('.d.ts') && rmSync(path));
// koffi ships its C and C++ sources beside its JavaScript: only the JavaScript is loaded.
walk(join(modules, 'koffi'), (path) => /\.(c|cc|cpp|h|hh|inc|def|S|asm)$|CMakeLists\.txt$/.test(path) && rmSync(path));
// The native modules for this machine, without their debugging symbols.
walk(modules, (path) => path.endsWith('.node') && run(strip, ['--strip-unneeded', path]));

// 3. Node for the target machine: the `node` package's binary package from the registry.
const nodeTarball = JSON.parse(
  run('npm', ['pack', '--json', '--pack-destination', join(work, 'tarballs'), `node-linux-${cpu}@${nodeVersion}`]),
)[0].filename;
run('tar', ['-xzf', join(work, 'tarballs', nodeTarball), '-C', work]);
copyFileSync(join(work, 'package', 'bin', 'node'), join(lib, 'node'));
chmodSync(join(lib, 'node'), 0o755);
for (const license of ['LICENSE', 'LICENSE.md']) {
  if (existsSync(join(work, 'package', license)))
    copyFileSync(join(work, 'package', license), join(lib, 'LICENSE.node'));
}
if (!existsSync(join(lib, 'LICENSE.node'))) fail(`node-linux-${cpu}@${nodeVersion} has no LICENSE file`);
// Debug symbols are a quarter of the binary; the host's binutils strip only its own architecture.
// --strip-unneeded keeps the dynamic symbols native modules link against (N-API).
run(strip, ['--strip-unneeded', join(lib, 'node')]);
step(`Node ${nodeVersion} for ${cpu}`);

// 4. The system's files.
const put = (from, to, mode = 0o644) => {
  mkdirSync(join(root, to, '..'), { recursive: true });
  copyFileSync(from, join(root, to));
  chmodSync(join(root, to), mode);
};
put(join(here, 'wrapper.sh'), 'usr/bin/sluice-appliance', 0o755);
put(join(here, 'sluice.service'), 'lib/systemd/system/sluice.service');
put(join(here, 'default'), 'etc/default/sluice');
put(join(here, 'modules-load.conf'), 'usr/lib/modules-load.d/sluice.conf');
const doc = 'usr/share/doc/sluice-appliance';
put(join(here, 'copyright'), `${doc}/copyright`);
put(join(app, 'README.md'), `${doc}/README.md`);
const gz = (text, to) => {
  mkdirSync(join(root, to, '..'), { recursive: true });
  writeFileSync(join(root, to), gzipSync(text, { level: 9 }));
  chmodSync(join(root, to), 0o644);
};
const date = new Date(Number(run('git', ['-C', repo, 'log', '-1', '--format=%ct'])) * 1000)
  .toUTCString()
  .replace('GMT', '+0000');
gz(
  `sluice-appliance (${debVersion}) unstable; urgency=medium\n\n  * Built from the Sluice repository; the changes are in CHANGELOG.md.\n\n -- Sluice developers <sluice@example.org>  ${date}\n`,
  `${doc}/changelog.gz`,
);
gz(readFileSync(join(here, 'sluice-appliance.1'), 'utf8'), 'usr/share/man/man1/sluice-appliance.1.gz');
put(join(here, 'lintian-overrides'), 'usr/share/lintian/overrides/sluice-appliance');

// Modes as Debian expects them, whatever npm's tarballs said: files 0644 (native modules
// too: they are loaded, not run), directories 0755, only the two programs executable.
const programs = new Set([join(root, 'usr/bin/sluice-appliance'), join(lib, 'node')]);
// The command line modules keep their `#!` line and stay runnable (by /usr/lib/sluice/node).
for (const p of packed) {
  const cli = join(modules, p.name, 'dist', 'cli.js');
  if (existsSync(cli) && readFileSync(cli, 'utf8').startsWith('#!')) programs.add(cli);
}
(function modes(dir) {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) modes(path);
    else if (entry.isFile()) chmodSync(path, programs.has(path) ? 0o755 : 0o644);
  }
})(root);

// 5. DEBIAN/: control, conffiles, maintainer scripts, md5sums.
const control = join(root, 'DEBIAN');
mkdirSync(control, { recursive: true });
for (const script of ['postinst', 'prerm', 'postrm']) {
  copyFileSync(join(here, script), join(control, script));
  chmodSync(join(control, script), 0o755);
}
writeFileSync(join(control, 'conffiles'), '/etc/default/sluice\n');
const sums = [];
walk(root, (path) => {
  if (path.startsWith(control)) return;
  sums.push(`${createHash('md5').update(readFileSync(path)).digest('hex')}  ${relative(root, path)}`);
});
writeFileSync(join(control, 'md5sums'), `${sums.sort().join('\n')}\n`);
let size = 0;
walk(root, (path) => {
  size += Math.ceil(statSync(path).size / 1024);
});
const depends = readFileSync(join(here, 'depends'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'))
  .join(', ');
writeFileSync(
  join(control, 'control'),
  readFileSync(join(here, 'control'), 'utf8')
    .replace('@VERSION@', debVersion)
    .replace('@ARCH@', arch)
    .replace('@SIZE@', String(size))
    .replace('@DEPENDS@', depends),
);
chmodSync(join(control, 'control'), 0o644);

// 6. The package, owned by root whoever builds it.
const deb = join(out, `sluice-appliance_${debVersion}_${arch}.deb`);
run('dpkg-deb', ['--root-owner-group', '--build', root, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
rmSync(work, { recursive: true, force: true });
step(
  `${relative(process.cwd(), deb)}: ${(statSync(deb).size / 1024 / 1024).toFixed(1)} MB, installed ${(size / 1024).toFixed(0)} MB`,
);
