import type { z } from 'zod';

/**
 * `true` when what a schema parses to and a TypeScript type are assignable both ways,
 * `never` otherwise: `const _: Agrees<typeof s, T> = true` stops compiling when a model's
 * type and the response schema written for it drift apart.
 */
export type Agrees<S extends z.ZodType, T> = [z.output<S>] extends [T]
  ? [T] extends [z.output<S>]
    ? true
    : never
  : never;
