import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from '../src/executors/deadline-queue.js';

/** What the lane reads: the entries from head, in order. */
function entries(queue: DeadlineQueue): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < queue.size; i++) {
    const at = (queue.head + i) & (queue.handles.length - 1);
    out.push([queue.handles[at] as number, queue.deadlines[at] as number]);
  }
  return out;
}

describe('DeadlineQueue', () => {
  it('keeps start order across the ring’s wrap and through growth', () => {
    const queue = new DeadlineQueue();
    const expected: Array<[number, number]> = [];
    // Wrap the ring first: the head moves past the middle before it fills and grows.
    for (let i = 0; i < 40; i++) queue.push(i, 1000 + i);
    for (let i = 0; i < 40; i++) queue.shift();
    for (let i = 40; i < 240; i++) {
      queue.push(i, 1000 + i);
      expected.push([i, 1000 + i]);
    }
    expect(queue.handles.length).toBe(256);
    expect(entries(queue)).toEqual(expected);
    expect(queue.handles[queue.head]).toBe(40);
  });

  it('reuses its arrays once grown: shifting all and pushing again allocates nothing', () => {
    const queue = new DeadlineQueue();
    for (let i = 0; i < 100; i++) queue.push(i, i);
    const { handles, deadlines } = queue;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100; i++) queue.shift();
      for (let i = 0; i < 100; i++) queue.push(round * 100 + i, i);
    }
    expect(queue.handles).toBe(handles);
    expect(queue.deadlines).toBe(deadlines);
    expect(entries(queue)[0]).toEqual([400, 0]);
    expect(queue.size).toBe(100);
  });
});
