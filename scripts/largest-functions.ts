/**
 * `npm run -s largest-functions [-- <dir> … [--top N]]`: the longest functions, methods and arrow
 * functions (in lines) of the project's TypeScript, tests excluded — to see where code needs
 * splitting before it hurts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 15;
const dirs = args.filter((a, i) => !a.startsWith('--') && i !== topAt + 1);
const roots = dirs.length ? dirs : ['activities', 'providers', 'workflows', 'domain', 'detection', 'api'];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const found: { name: string; lines: number }[] = [];
for (const file of roots.flatMap(files)) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node, owner: string) => {
    let name: string | undefined;
    if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) name = node.name?.getText(source);
    else if (
      (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) &&
      ts.isVariableDeclaration(node.parent)
    )
      name = node.parent.name.getText(source);
    else if (
      (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) &&
      ts.isPropertyAssignment(node.parent)
    )
      name = node.parent.name.getText(source);
    if (name) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ name: `${file}:${start + 1} ${owner}${name}`, lines: end - start + 1 });
    }
    const next = ts.isClassDeclaration(node) && node.name ? `${node.name.text}.` : owner;
    ts.forEachChild(node, (child) => visit(child, next));
  };
  visit(source, '');
}
found.sort((a, b) => b.lines - a.lines);
for (const f of found.slice(0, top)) console.log(`${String(f.lines).padStart(5)}  ${f.name}`);
