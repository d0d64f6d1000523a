/**
 * Edits typed but not saved are not lost without a word: a reload or a closed tab asks
 * the browser's own question (beforeunload), and moving to another page of the UI asks
 * ours, where the user can stay. Forms join on their first edit; a form that left the
 * page (a save redrew it, Cancel closed it) no longer counts.
 */

/** Something holding edits: a form, or a list of real servers not saved yet. */
export interface Draft {
  readonly element: Element;
  dirty(): boolean;
}

export const LEAVE_QUESTION = 'This page has changes that are not saved. Leave it and lose them?';

const drafts = new Set<Draft>();

/** Count `draft` from now on (joining twice is once). */
export function watchUnsaved(draft: Draft): void {
  drafts.add(draft);
}

/** Whether any draft still on the page holds edits. */
export function hasUnsaved(): boolean {
  for (const draft of drafts) {
    if (!draft.element.isConnected) drafts.delete(draft);
    else if (draft.dirty()) return true;
  }
  return false;
}

/**
 * The page is being left by the UI itself (after a save, a Cancel, a forced login): what
 * it holds is saved or given up, so nothing is asked.
 */
export function discardUnsaved(): void {
  drafts.clear();
}

/** Before leaving the page: true when nothing is unsaved or the user chose to leave (the edits are then given up). */
export function mayLeave(ask: (question: string) => boolean = (q) => window.confirm(q)): boolean {
  if (!hasUnsaved()) return true;
  if (!ask(LEAVE_QUESTION)) return false;
  discardUnsaved();
  return true;
}

if (typeof window !== 'undefined') {
  window.addEventListener('beforeunload', (event) => {
    if (!hasUnsaved()) return;
    // The browser asks in its own words; both calls, for the browsers that want either.
    event.preventDefault();
    event.returnValue = '';
  });
}
