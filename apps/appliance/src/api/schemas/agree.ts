import type { z } from 'zod';

type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** The same keys, nested objects and array elements included (structural typing alone lets an optional extra pass). */
type SameKeys<A, B> = A extends readonly (infer X)[]
  ? B extends readonly (infer Y)[]
    ? SameKeys<X, Y>
    : false
  : A extends object
    ? B extends object
      ? Mutual<keyof A, keyof B> extends true
        ? false extends { [K in keyof A & keyof B]-?: SameKeys<NonNullable<A[K]>, NonNullable<B[K]>> }[keyof A &
            keyof B]
          ? false
          : true
        : false
      : false
    : true;

/**
 * `true` when what a schema parses to and a TypeScript type are assignable both ways and
 * have the same keys at every level, `never` otherwise: `const _: Agrees<typeof s, T> = true`
 * stops compiling when a model's type and the response schema written for it drift apart.
 */
export type Agrees<S extends z.ZodType, T> =
  Mutual<z.output<S>, T> extends true ? (SameKeys<z.output<S>, T> extends true ? true : never) : never;
