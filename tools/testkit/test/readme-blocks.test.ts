// The README convention: every TypeScript or JavaScript block says whether it runs (where),
// only typechecks (why) or is not a program (why); an unmarked one is a fault, so no
// example goes untested by accident. Faults name the README line.
import { describe, expect, it } from 'vitest';
import { codeBlocks, readmeExamples, requireExamples } from '../src/readme/blocks.js';

const GOLDEN = `# pkg

\`\`\`sh
npm install pkg
\`\`\`

<!-- example: run in=netns setup="ip addr add 192.0.2.10/32 dev lo" http="192.0.2.10:80 OK" until="-> up" env="KEY=abc MODE=x" -->
\`\`\`ts
import { a } from 'pkg';
a();
\`\`\`

<!-- example: typecheck reason="needs a peer node" -->

\`\`\`typescript
const x: number = 1;
\`\`\`

- a list item:

  <!-- example: skip reason="a signature, not a program" -->
  \`\`\`js
  f(a, b)
    .then(c);
  \`\`\`

\`\`\`json
{ "a": 1 }
\`\`\`
`;

describe('README code blocks', () => {
  it('are read with their lines, info strings and the comment above them, list indentation removed', () => {
    const blocks = codeBlocks(GOLDEN);
    expect(blocks.map((b) => [b.info, b.fenceLine, b.line, b.marker?.line])).toEqual([
      ['sh', 3, 4, undefined],
      ['ts', 8, 9, 7],
      ['typescript', 15, 16, 13],
      ['js', 22, 23, 21],
      ['json', 27, 28, undefined],
    ]);
    expect(blocks[3]?.code).toBe('f(a, b)\n  .then(c);\n');
    expect(blocks[1]?.code).toBe("import { a } from 'pkg';\na();\n");
  });

  it('are classified by their comment: run with its tier, setup, web server, until and env; typecheck and skip with a reason', () => {
    const { examples, faults } = readmeExamples(GOLDEN);
    expect(faults).toEqual([]);
    expect(examples.map((e) => [e.block.line, e.language, e.claim])).toEqual([
      [
        9,
        'ts',
        {
          kind: 'run',
          in: 'netns',
          setup: 'ip addr add 192.0.2.10/32 dev lo',
          http: { address: '192.0.2.10', port: 80, body: 'OK' },
          until: '-> up',
          env: { KEY: 'abc', MODE: 'x' },
        },
      ],
      [16, 'ts', { kind: 'typecheck', reason: 'needs a peer node' }],
      [23, 'js', { kind: 'skip', reason: 'a signature, not a program' }],
    ]);
  });

  it('an unmarked TypeScript or JavaScript block is a fault naming its line; sh and json blocks are prose', () => {
    const text = '# x\n\n```ts\nconst a = 1;\n```\n\n```sh\nls\n```\n\n```mjs\nlet b;\n```\n';
    expect(readmeExamples(text, 'pkg/README.md').faults).toEqual([
      'pkg/README.md:3: a ts block without an <!-- example: run|typecheck|skip ... --> comment above it',
      'pkg/README.md:11: a mjs block without an <!-- example: run|typecheck|skip ... --> comment above it',
    ]);
    expect(() => requireExamples(text)).toThrow(expect.objectContaining({ code: 'TESTKIT_README' }));
  });

  it('a comment separated from its block by prose does not mark it', () => {
    const text = '<!-- example: run in=host -->\nSome prose.\n\n```ts\nx();\n```\n';
    expect(readmeExamples(text).faults).toEqual([
      'README.md:4: a ts block without an <!-- example: run|typecheck|skip ... --> comment above it',
    ]);
  });

  it.each([
    ['<!-- example: typecheck -->', 'typecheck needs a reason="..." (why the block does not run)'],
    ['<!-- example: skip reason="" -->', 'skip needs a reason="..." (why the block does not run)'],
    ['<!-- example: run -->', 'run needs in=host, in=netns or in=kernel (got "")'],
    ['<!-- example: run in=vm -->', 'run needs in=host, in=netns or in=kernel (got "vm")'],
    ['<!-- example: runs in=host -->', '"runs" is not a kind of example (run, typecheck or skip)'],
    ['<!-- example: typecheck reason="x" in=host -->', 'typecheck takes no "in"'],
    ['<!-- example: run in=host env="=x" -->', 'env takes NAME=value pairs (got "=x")'],
    [
      '<!-- example: run in=host http="10.0.0.1:80 OK" -->',
      'http takes "ADDRESS:PORT BODY" with a documentation address (got "10.0.0.1:80 OK")',
    ],
    ['<!-- example: run in=host "stray" -->', 'cannot read ""stray"" (attributes are key=value or key="value")'],
  ])('%s is refused: %s', (marker, fault) => {
    expect(readmeExamples(`${marker}\n\`\`\`ts\nx();\n\`\`\`\n`).faults).toEqual([`README.md:1: ${fault}`]);
  });

  it('a comment above a block that is not ts or js is a fault', () => {
    expect(readmeExamples('<!-- example: run in=host -->\n```sh\nls\n```\n').faults).toEqual([
      'README.md:1: an example: comment above a sh block (ts or js only)',
    ]);
  });
});
