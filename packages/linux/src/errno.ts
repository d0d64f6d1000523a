import { constants } from 'node:os';

const names = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** The symbolic name of an errno (`EEXIST`), or `errno N` for a number without one here. */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `errno ${errno}`;
}
