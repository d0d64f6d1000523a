import { defineSuite } from '@sluice/testkit/vitest';

export default defineSuite(import.meta.dirname);
