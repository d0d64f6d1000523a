import { QUESTIONS } from '../../model/wizard-plan.js';

/** The wizard's answers so far, as typed, and the step it is on: what a reload must not lose. */
export interface Progress {
  /** The title of the step shown. */
  step: string;
  /** Field name -> the text typed (`vip`, `servers.1.address`). */
  texts: Record<string, string>;
  /** How many real server rows. */
  rows: number;
}

export const PROGRESS = 'sluice.wizard.progress';

/**
 * Only the answers to the wizard's own questions are kept: they name no secret. A field
 * that is not one of them (a password or a key, should the wizard ever ask one) is never
 * written to sessionStorage, which any script of the page can read.
 */
const KEPT = new Set<string>(QUESTIONS.map((q) => q.key));
const kept = (name: string) => KEPT.has(name) || /^servers\.\d{1,3}\.(label|address|port)$/.test(name);

/** This tab's storage; absent outside a browser (the unit tests pass their own). */
const tabStorage = (): Storage | undefined => (typeof sessionStorage === 'undefined' ? undefined : sessionStorage);

export function saveProgress(progress: Progress, storage = tabStorage()): void {
  const texts = Object.fromEntries(Object.entries(progress.texts).filter(([name]) => kept(name)));
  storage?.setItem(PROGRESS, JSON.stringify({ step: progress.step, texts, rows: progress.rows }));
}

/** The kept progress, or undefined when there is none (or it is not one the wizard wrote). */
export function loadProgress(storage = tabStorage()): Progress | undefined {
  try {
    const stored = JSON.parse(storage?.getItem(PROGRESS) ?? 'null') as Partial<Progress> | null;
    if (typeof stored?.step !== 'string' || typeof stored.texts !== 'object' || stored.texts === null) return undefined;
    const texts = Object.fromEntries(
      Object.entries(stored.texts).filter(([name, text]) => kept(name) && typeof text === 'string'),
    ) as Record<string, string>;
    const rows =
      Number.isInteger(stored.rows) && (stored.rows as number) >= 1 ? Math.min(stored.rows as number, 100) : 1;
    return { step: stored.step, texts, rows };
  } catch {
    return undefined;
  }
}

/** Finished or cancelled: the next wizard starts afresh. */
export function clearProgress(storage = tabStorage()): void {
  storage?.removeItem(PROGRESS);
}
