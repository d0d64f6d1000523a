/**
 * Deadlines of checks with one timeout value, in start order (so in deadline order): a ring
 * in typed arrays that only ever grows. Arrays trimmed and grown again would allocate
 * large backing stores over and over; those live long enough to be promoted to the old
 * generation, and die there as garbage.
 */
export class DeadlineQueue {
  // A power of two (the ring masks with length - 1); grows by doubling.
  handles = new Float64Array(64);
  deadlines = new Float64Array(64);
  head = 0;
  size = 0;

  push(handle: number, deadline: number): void {
    if (this.size === this.handles.length) this.grow();
    const at = (this.head + this.size) & (this.handles.length - 1);
    this.handles[at] = handle;
    this.deadlines[at] = deadline;
    this.size++;
  }

  shift(): void {
    this.head = (this.head + 1) & (this.handles.length - 1);
    this.size--;
  }

  private grow(): void {
    const handles = new Float64Array(this.handles.length * 2);
    const deadlines = new Float64Array(this.handles.length * 2);
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) & (this.handles.length - 1);
      handles[i] = this.handles[from] as number;
      deadlines[i] = this.deadlines[from] as number;
    }
    this.handles = handles;
    this.deadlines = deadlines;
    this.head = 0;
  }
}
