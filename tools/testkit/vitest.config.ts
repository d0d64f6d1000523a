import { defineSuite } from './dist/vitest/config.js';

export default defineSuite(import.meta.dirname);
