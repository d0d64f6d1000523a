/**
 * The code blocks of a README and what each claims: a TypeScript or JavaScript block must
 * say, in an HTML comment right above its fence, whether it runs (and where), only
 * typechecks (and why), or is not a program (and why). The comment is invisible on GitHub
 * and npm, and readable in the source beside the block it describes:
 *
 *   <!-- example: run in=netns setup="ip addr add 192.0.2.10/32 dev lo" http="192.0.2.10:80 OK" until="-> up" -->
 *   <!-- example: typecheck reason="needs a peer node" -->
 *   <!-- example: skip reason="a type signature, not a program" -->
 *
 * Other blocks (sh install lines, JSON, output samples) are prose and are not run.
 */
import { isDocumentationAddress } from '../addresses.js';
import { TestkitError } from '../errors.js';

export type ExampleLanguage = 'ts' | 'js';
export type ExampleTier = 'host' | 'netns' | 'kernel';

export type ExampleClaim =
  | {
      kind: 'run';
      in: ExampleTier;
      /** Shell commands run as root where the block runs, before it (`sh -c`). */
      setup?: string;
      /** The block is a daemon: it passes once its output contains this text, and is then stopped. */
      until?: string;
      /** Environment of the block, `NAME=value` pairs separated by spaces. */
      env?: Record<string, string>;
      /** A web server the block checks, listening before it starts: `http="ADDRESS:PORT BODY"`. */
      http?: { address: string; port: number; body: string };
    }
  | { kind: 'typecheck'; reason: string }
  | { kind: 'skip'; reason: string };

export interface CodeBlock {
  /** The fence's info string, first word (`ts`, `sh`, ...), lower case; '' when none. */
  info: string;
  /** README line (1-based) of the opening fence. */
  fenceLine: number;
  /** README line of the block's first line of code. */
  line: number;
  code: string;
  /** The `example:` comment above the fence, as written. */
  marker?: { line: number; text: string };
}

export interface Example {
  block: CodeBlock;
  language: ExampleLanguage;
  claim: ExampleClaim;
}

const LANGUAGES: Record<string, ExampleLanguage> = {
  ts: 'ts',
  typescript: 'ts',
  mts: 'ts',
  js: 'js',
  javascript: 'js',
  mjs: 'js',
};
const TIERS: readonly ExampleTier[] = ['host', 'netns', 'kernel'];
const MARKER = /^\s*<!--\s*example:(.*?)-->\s*$/;
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)/;

/** Every fenced block of a Markdown text, with the `example:` comment directly above it (blank lines allowed). */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let marker: CodeBlock['marker'];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const m = MARKER.exec(text);
    if (m) {
      marker = { line: i + 1, text: (m[1] ?? '').trim() };
      continue;
    }
    const fence = FENCE.exec(text);
    if (!fence) {
      if (text.trim() !== '') marker = undefined;
      continue;
    }
    const indent = fence[1]?.length ?? 0;
    const ticks = fence[2] ?? '```';
    const close = new RegExp(`^\\s*${ticks[0] === '`' ? '`' : '~'}{${ticks.length},}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j] ?? '')) {
      const raw = lines[j] ?? '';
      // Inside a list item the block is indented with its fence; the code is not.
      body.push(raw.slice(Math.min(indent, raw.length - raw.trimStart().length)));
      j++;
    }
    blocks.push({
      info: (fence[3] ?? '').toLowerCase(),
      fenceLine: i + 1,
      line: i + 2,
      code: `${body.join('\n')}\n`,
      ...(marker ? { marker } : {}),
    });
    marker = undefined;
    i = j;
  }
  return blocks;
}

/** `key=value` and `key="value with spaces"` pairs after the kind. */
function parseMarker(text: string): { kind: string; attrs: Map<string, string>; rest: string } {
  const [kind = '', ...tail] = text.split(/\s+/);
  let rest = tail.join(' ');
  const attrs = new Map<string, string>();
  const pair = /^\s*([a-z]+)=(?:"([^"]*)"|(\S+))/;
  for (let m = pair.exec(rest); m; m = pair.exec(rest)) {
    attrs.set(m[1] ?? '', m[2] ?? m[3] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { kind, attrs, rest: rest.trim() };
}

function claimOf(block: CodeBlock & { marker: NonNullable<CodeBlock['marker']> }): ExampleClaim | string {
  const { kind, attrs, rest } = parseMarker(block.marker.text);
  if (rest) return `cannot read "${rest}" (attributes are key=value or key="value")`;
  const allowed: Record<string, readonly string[]> = {
    run: ['in', 'setup', 'until', 'env', 'http'],
    typecheck: ['reason'],
    skip: ['reason'],
  };
  const keys = allowed[kind];
  if (!keys) return `"${kind}" is not a kind of example (run, typecheck or skip)`;
  for (const key of attrs.keys()) if (!keys.includes(key)) return `${kind} takes no "${key}"`;
  if (kind !== 'run') {
    const reason = attrs.get('reason')?.trim();
    if (!reason) return `${kind} needs a reason="..." (why the block does not run)`;
    return { kind, reason } as ExampleClaim;
  }
  const tier = attrs.get('in') ?? '';
  if (!TIERS.includes(tier as ExampleTier)) return `run needs in=host, in=netns or in=kernel (got "${tier}")`;
  const claim: ExampleClaim = { kind: 'run', in: tier as ExampleTier };
  const setup = attrs.get('setup');
  if (setup) claim.setup = setup;
  const until = attrs.get('until');
  if (until) claim.until = until;
  const env = attrs.get('env');
  if (env) {
    claim.env = {};
    for (const item of env.split(/\s+/)) {
      const eq = item.indexOf('=');
      if (eq <= 0) return `env takes NAME=value pairs (got "${item}")`;
      claim.env[item.slice(0, eq)] = item.slice(eq + 1);
    }
  }
  const http = attrs.get('http');
  if (http !== undefined) {
    const m = /^\[?([0-9a-fA-F.:]+?)\]?:(\d+) (.+)$/.exec(http);
    if (!m || !isDocumentationAddress(m[1] ?? '')) {
      return `http takes "ADDRESS:PORT BODY" with a documentation address (got "${http}")`;
    }
    claim.http = { address: m[1] ?? '', port: Number(m[2]), body: m[3] ?? '' };
  }
  return claim;
}

export interface ReadmeExamples {
  examples: Example[];
  /** One line per fault, `README.md:LINE: ...`: an unmarked TypeScript block, a marker that makes no sense. */
  faults: string[];
}

/** The examples a README claims, and what is wrong with its claims. `name` prefixes the faults. */
export function readmeExamples(markdown: string, name = 'README.md'): ReadmeExamples {
  const examples: Example[] = [];
  const faults: string[] = [];
  for (const block of codeBlocks(markdown)) {
    const language = LANGUAGES[block.info];
    if (!block.marker) {
      if (language) {
        faults.push(
          `${name}:${block.fenceLine}: a ${block.info} block without an <!-- example: run|typecheck|skip ... --> comment above it`,
        );
      }
      continue;
    }
    if (!language) {
      faults.push(
        `${name}:${block.marker.line}: an example: comment above a ${block.info || 'plain'} block (ts or js only)`,
      );
      continue;
    }
    const claim = claimOf({ ...block, marker: block.marker });
    if (typeof claim === 'string') faults.push(`${name}:${block.marker.line}: ${claim}`);
    else examples.push({ block, language, claim });
  }
  return { examples, faults };
}

/** As `readmeExamples`, but a README with faults is an error naming all of them. */
export function requireExamples(markdown: string, name = 'README.md'): Example[] {
  const { examples, faults } = readmeExamples(markdown, name);
  if (faults.length > 0) throw new TestkitError('TESTKIT_README', faults.join('\n'));
  return examples;
}
