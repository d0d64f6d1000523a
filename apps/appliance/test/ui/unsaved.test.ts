import { afterEach, describe, expect, it } from 'vitest';
import { discardUnsaved, hasUnsaved, LEAVE_QUESTION, mayLeave, watchUnsaved } from '../../src/ui/unsaved.js';

/** A draft on the page or not, with edits or not (the logic only reads these two). */
const draft = (state: { connected: boolean; dirty: boolean }) => ({
  element: {
    get isConnected() {
      return state.connected;
    },
  } as unknown as Element,
  dirty: () => state.dirty,
});

describe('unsaved edits', () => {
  afterEach(() => discardUnsaved());

  it('counts a draft with edits while it is on the page', () => {
    const form = { connected: true, dirty: false };
    watchUnsaved(draft(form));
    expect(hasUnsaved()).toBe(false);
    form.dirty = true;
    expect(hasUnsaved()).toBe(true);
    // Redrawn after a save, closed by Cancel: gone from the page, nothing to lose.
    form.connected = false;
    expect(hasUnsaved()).toBe(false);
    form.connected = true;
    expect(hasUnsaved()).toBe(false);
  });

  it('asks before leaving; staying keeps the edits, leaving gives them up', () => {
    const questions: string[] = [];
    watchUnsaved(draft({ connected: true, dirty: true }));
    expect(
      mayLeave((q) => {
        questions.push(q);
        return false;
      }),
    ).toBe(false);
    expect(hasUnsaved()).toBe(true);
    expect(mayLeave(() => true)).toBe(true);
    expect(questions).toEqual([LEAVE_QUESTION]);
    expect(hasUnsaved()).toBe(false);
    // Nothing unsaved: nothing asked.
    expect(mayLeave(() => expect.unreachable('asked with nothing unsaved'))).toBe(true);
  });

  it('asks nothing once the UI itself moves on (after a save)', () => {
    watchUnsaved(draft({ connected: true, dirty: true }));
    discardUnsaved();
    expect(hasUnsaved()).toBe(false);
  });
});
