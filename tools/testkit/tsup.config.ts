import { defineConfig } from 'tsup';

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/cli.ts',
    'src/vitest/config.ts',
    'src/vitest/kernel-proxy.ts',
    'src/vitest/netns-setup.ts',
    'src/vitest/kernel-setup.ts',
    'src/vitest/system-setup.ts',
  ],
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  // Declarations come from tsc (TypeScript 7), see docs/toolchain.md.
  dts: false,
  sourcemap: true,
  clean: true,
  splitting: true,
  external: ['vitest'],
});
