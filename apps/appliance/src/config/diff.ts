// Transitional: the model moved to src/model/diff.ts (#18 item 2). src/store/ (item 3, split
// in parallel) still imports it from here; delete this file once it imports ../model/.
export * from '../model/diff.js';
