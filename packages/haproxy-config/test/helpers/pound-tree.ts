/** A Pound config read back as a tree, to assert on structure rather than on bytes. */
export interface PoundNode {
  keyword: string;
  args: string[];
  children: PoundNode[];
}

const BLOCKS = new Set(['ListenHTTP', 'ListenHTTPS', 'Service', 'BackEnd', 'Emergency', 'Session']);

function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push(m[1] ?? (m[2] as string));
  return out;
}

/** Parses like Pound does: one directive a line, blocks closed by `End`; throws on imbalance. */
export function parsePound(text: string): PoundNode {
  const root: PoundNode = { keyword: 'root', args: [], children: [] };
  const stack = [root];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [keyword, ...args] = words(line);
    const top = stack.at(-1) as PoundNode;
    if (keyword === 'End') {
      if (stack.length === 1) throw new Error('End without a block');
      stack.pop();
      continue;
    }
    const node: PoundNode = { keyword: keyword as string, args, children: [] };
    top.children.push(node);
    if (BLOCKS.has(node.keyword)) stack.push(node);
  }
  if (stack.length !== 1) throw new Error(`unclosed block ${stack.at(-1)?.keyword}`);
  return root;
}

export function find(node: PoundNode, keyword: string): PoundNode[] {
  return node.children.filter((c) => c.keyword === keyword);
}

export function value(node: PoundNode, keyword: string): string[] | undefined {
  return find(node, keyword)[0]?.args;
}
