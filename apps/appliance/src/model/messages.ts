import type { z } from 'zod';

/*
 * What a person reads when a value breaks a rule of the model, worded once here. zod's own
 * messages ("Invalid input: expected string, received undefined", "Too big: expected number
 * to be <=65535") are for programmers; every parse whose messages reach a person (the API,
 * the web UI's live validation, the wizards) passes `personMessages`, so a rule says the same
 * in every form. A schema's own message (a regular expression's, a port's) comes first:
 * zod asks this map only for issues the schema left unworded.
 */

/** The port rule: every port field, single or in a list, says this. */
export const PORT_MESSAGE = 'must be a port, 1-65535';

const typeNames: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false (a checkbox)',
  array: 'a list',
  object: 'a group of fields',
};

const quoteAll = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

type Issue = z.core.$ZodRawIssue;

function tooBig(issue: Extract<Issue, { code: 'too_big' }>): string {
  const max = Number(issue.maximum).toLocaleString('en');
  switch (issue.origin) {
    case 'string':
      return `must be at most ${max} characters`;
    case 'array':
    case 'set':
      return `must hold at most ${max} entries`;
    default:
      return `must be at most ${max}`;
  }
}

function tooSmall(issue: Extract<Issue, { code: 'too_small' }>): string {
  const min = Number(issue.minimum);
  switch (issue.origin) {
    case 'string':
      return min <= 1 ? 'must not be empty' : `must be at least ${min.toLocaleString('en')} characters`;
    case 'array':
    case 'set':
      return min <= 1 ? 'must hold at least one entry' : `must hold at least ${min.toLocaleString('en')} entries`;
    default:
      return `must be at least ${min.toLocaleString('en')}`;
  }
}

/** The message for an issue the schema did not word itself. */
export function personMessage(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${typeNames[issue.expected] ?? issue.expected}`;
    case 'too_big':
      return tooBig(issue);
    case 'too_small':
      return tooSmall(issue);
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${quoteAll(issue.values)}`
        : `must be one of ${quoteAll(issue.values)}`;
    case 'unrecognized_keys':
      return 'is not a setting here: check its spelling';
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_format':
      return 'is not in the right form';
    default:
      return 'is not valid here';
  }
}

/** zod's error map for parses whose messages a person reads: `schema.safeParse(value, personMessages)`. */
export const personMessages = { error: (issue: Issue) => personMessage(issue) } as const;
