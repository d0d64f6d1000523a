/** What the keepalived mappers share while they walk the tree, and the readers of a directive's values. */
import { HealthChecks, importInvalid, Notes, seconds } from '../lvs-shared.js';
import type { Directive } from './parse.js';

export interface Context {
  notes: Notes;
  checks: HealthChecks;
}

export function newContext(): Context {
  return { notes: new Notes(), checks: new HealthChecks() };
}

/** The i-th argument, or broken input. */
export function arg(d: Directive, i: number, what: string): string {
  const value = d.args[i];
  if (value === undefined) throw importInvalid(d, `${d.keyword} needs ${what}`);
  return value;
}

/** An integer argument within bounds, or broken input. */
export function intArg(d: Directive, i: number, min: number, max: number): number {
  const text = arg(d, i, 'a number');
  if (!/^\d{1,10}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw importInvalid(d, `${d.keyword} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/**
 * A timer in whole seconds within the model's bounds. keepalived takes fractions (`2.5`);
 * the model does not, so a fraction is rounded up and a value out of bounds is clamped,
 * each with a note.
 */
export function timerArg(ctx: Context, d: Directive, min: number, max: number, field: string): number {
  const text = arg(d, 0, 'a time in seconds');
  const value = seconds(text);
  if (value === undefined)
    throw importInvalid(d, `${d.keyword} must be a time in seconds, not ${JSON.stringify(text)}`);
  const whole = Math.min(max, Math.max(min, Math.ceil(value)));
  if (whole !== value) {
    ctx.notes.add(d, d.keyword, 'lossy', `${text} s is taken as ${whole} s (${field} is whole seconds, ${min}-${max})`);
  }
  return whole;
}

/** keepalived's <BOOL>: absent is true. */
export function boolArg(d: Directive): boolean {
  const value = d.args[0];
  if (value === undefined) return true;
  const lower = value.toLowerCase();
  if (['on', 'true', 'yes'].includes(lower)) return true;
  if (['off', 'false', 'no'].includes(lower)) return false;
  throw importInvalid(d, `${d.keyword} must be on/off, true/false or yes/no, not ${JSON.stringify(value)}`);
}

/** A directive with no counterpart here: left out, with a note. */
export function unsupported(ctx: Context, d: Directive, why?: string): void {
  ctx.notes.add(d, d.keyword, 'unsupported', `${d.keyword} ${why ?? defaultReason(d.keyword)}; left out`);
}

/** Parameter definitions and conditional lines may stand anywhere, in a block too. */
function defaultReason(keyword: string): string {
  if (keyword.startsWith('$')) return '(a parameter definition) is not substituted';
  if (keyword.startsWith('@')) return '(a line for one node only) depends on the node';
  return 'has no counterpart in the appliance';
}

/** A directive mapped exactly. */
export function mapped(ctx: Context): void {
  ctx.notes.mapped++;
}
