/**
 * The README's promise that its examples work: every TypeScript snippet type-checks against
 * the code (with `seedance-flow/...` resolved to this repository, as an installed package
 * would be), every YAML/JSON snippet parses (and the storyboard example validates), and every
 * bash snippet is valid shell.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { parse as parseYaml } from 'yaml';
import { validateStoryboard } from '../../common/storyboard';

const ROOT = path.resolve(__dirname, '../..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface Snippet {
  lang: string;
  code: string;
  line: number;
}

function snippets(markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    out.push({ lang: m[1] ?? '', code: m[2] ?? '', line: markdown.slice(0, m.index).split('\n').length });
  }
  return out;
}

const all = snippets(README);
const of = (...langs: string[]) => all.filter((s) => langs.includes(s.lang));

test('the README has the snippets this test checks', () => {
  expect(of('ts', 'typescript').length).toBeGreaterThan(0);
  expect(of('bash').length).toBeGreaterThan(0);
  expect(of('nginx').length).toBeGreaterThan(0);
});

test('every TypeScript snippet type-checks against the code', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-readme-'));
  try {
    const files = of('ts', 'typescript').map((s, i) => {
      const file = path.join(dir, `snippet-${i}-line-${s.line}.ts`);
      writeFileSync(file, s.code);
      return file;
    });
    const program = ts.createProgram(files, {
      strict: true,
      noUncheckedIndexedAccess: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules/@types')],
      baseUrl: ROOT,
      paths: {
        // The package's entry points (package.json "exports"), as an installed package resolves them.
        'seedance-flow': ['client/index.ts'],
        'seedance-flow/workflows': ['workflows/index.ts'],
        'seedance-flow/nexus': ['nexus/service.ts'],
        'seedance-flow/worker': ['workers/index.ts'],
        '@temporalio/*': ['node_modules/@temporalio/*'],
      },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.includes(path.resolve(d.file.fileName)))
      .map((d) => `${path.basename(d.file?.fileName ?? '')}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every YAML and JSON snippet parses, and the storyboard example is a valid storyboard', () => {
  for (const s of of('yaml', 'json')) {
    const doc: unknown = s.lang === 'json' ? JSON.parse(s.code) : parseYaml(s.code);
    if (s.lang === 'yaml' && doc && typeof doc === 'object' && 'shots' in doc) {
      expect({ line: s.line, problems: validateStoryboard(doc).problems }).toEqual({ line: s.line, problems: [] });
    }
  }
});

test('every nginx snippet is balanced and each directive ends with a semicolon', () => {
  for (const s of of('nginx')) {
    let depth = 0;
    for (const raw of s.code.split('\n')) {
      const line = raw.replace(/#.*$/, '').trim();
      if (!line) continue;
      depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length;
      expect(depth).toBeGreaterThanOrEqual(0);
      if (!line.endsWith('{') && !line.endsWith('}'))
        expect({ line: s.line, directive: line, ok: line.endsWith(';') }).toMatchObject({ ok: true });
    }
    expect(depth).toBe(0);
  }
});

test('every bash snippet is valid shell', () => {
  for (const s of of('bash', 'sh')) {
    expect(() => execFileSync('bash', ['-n'], { input: s.code, stdio: ['pipe', 'pipe', 'pipe'] })).not.toThrow();
  }
});
