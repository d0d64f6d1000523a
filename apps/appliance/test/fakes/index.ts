export { FakeEngine } from './engine.js';
export { FakeHa } from './ha.js';
