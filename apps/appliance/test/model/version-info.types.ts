// Checked by `npm run typecheck` (the tests program), not run: the version history the UI
// lists (the model's VersionInfo) is the store's own, until the store imports it from the model.
import { expectTypeOf } from 'vitest';
import type { VersionInfo } from '../../src/model/version-info.js';
import type { VersionInfo as StoreVersionInfo } from '../../src/store/store.js';

expectTypeOf<VersionInfo>().toEqualTypeOf<StoreVersionInfo>();
