/**
 * `use_backend X if|unless COND` -> the model's URL rules, where it can: the model's rules
 * test one path prefix, path suffix or host each, and the first that matches wins, as
 * HAProxy's use_backend lines do. So a condition maps when it is an OR (`||`, `or`, or
 * several values of one ACL) of single ACLs whose criterion is path_beg, path_end or
 * hdr(host); an AND of two tests, a negation or `unless` cannot be written as such rules.
 */
import { urlRuleSchema } from '../../model/schema.js';
import { type AclDefinition, type AclTerm, aclDefinition, type ProxySection, type UseBackend } from './proxy.js';

export interface RuleValue {
  match: AclTerm['match'];
  value: string;
}

export type RulesOf =
  | { rules: RuleValue[]; aclLines: number[] }
  | { reason: string /** An ACL the proxy does not define: HAProxy refuses the file. */; undefinedAcl?: string };

/** HAProxy's predefined ACLs, which test nothing the model's rules can. */
const PREDEFINED = new Set([
  'TRUE',
  'FALSE',
  'HTTP',
  'HTTP_1.0',
  'HTTP_1.1',
  'HTTP_2.0',
  'HTTP_CONTENT',
  'HTTP_URL_ABS',
  'HTTP_URL_SLASH',
  'HTTP_URL_STAR',
  'LOCALHOST',
  'METH_CONNECT',
  'METH_DELETE',
  'METH_GET',
  'METH_HEAD',
  'METH_OPTIONS',
  'METH_POST',
  'METH_PUT',
  'METH_TRACE',
  'RDP_COOKIE',
  'REQ_CONTENT',
  'WAIT_END',
]);

/** Splits a condition into its OR groups of terms, anonymous ACLs (`{ ... }`) as one term each. */
function groups(words: readonly string[]): string[][][] | string {
  const out: string[][][] = [[]];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const group = out[out.length - 1] as string[][];
    if (word === '||' || word === 'or') {
      out.push([]);
      continue;
    }
    if (word === '{' || word === '!{') {
      const close = words.indexOf('}', i + 1);
      if (close < 0) return 'an anonymous ACL without its closing "}"';
      group.push(word === '!{' ? ['!', ...words.slice(i + 1, close)] : words.slice(i + 1, close));
      i = close;
      continue;
    }
    group.push([word]);
  }
  return out;
}

/** The rules a use_backend line stands for, or why it stands for none. */
export function rulesOf(use: UseBackend, proxy: ProxySection): RulesOf {
  if (use.condition === undefined) return { reason: 'an unconditional use_backend sends everything to the backend' };
  if (use.unless) return { reason: '"unless" (a negation) has no counterpart in the URL rules' };
  const parsed = groups(use.condition);
  if (typeof parsed === 'string') return { reason: parsed };
  const rules: RuleValue[] = [];
  const aclLines: number[] = [];
  for (const group of parsed) {
    if (group.length === 0) return { reason: 'an empty condition' };
    if (group.length > 1) return { reason: 'a condition that needs several tests at once (AND) has no counterpart' };
    const term = group[0] as string[];
    let definitions: AclDefinition[];
    if (term.length === 1) {
      const name = term[0] as string;
      if (name.startsWith('!') || name === '!') return { reason: 'a negated ACL has no counterpart' };
      if (PREDEFINED.has(name)) return { reason: `the predefined ACL ${name} has no counterpart` };
      const found = proxy.acls.get(name);
      if (!found) return { reason: `no ACL named "${name}" in ${proxy.name}`, undefinedAcl: name };
      definitions = found;
    } else {
      if (term[0] === '!') return { reason: 'a negated ACL has no counterpart' };
      definitions = [aclDefinition(term[0] ?? '', term.slice(1), use.line)];
    }
    for (const definition of definitions) {
      if (!definition.term) return { reason: `${definition.reason ?? 'its ACL'} has no counterpart in the URL rules` };
      aclLines.push(definition.line);
      for (const value of definition.term.values) {
        const checked = urlRuleSchema.safeParse({ match: definition.term.match, value, service: 'x' });
        if (!checked.success) {
          return {
            reason: `the value ${JSON.stringify(value)} cannot be a ${definition.term.match} rule: ${checked.error.issues[0]?.message ?? 'invalid'}`,
          };
        }
        rules.push({ match: definition.term.match, value });
      }
    }
  }
  return { rules, aclLines };
}
