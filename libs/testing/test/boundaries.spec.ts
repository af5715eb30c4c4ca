import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layout rules of STYLE.md that a compiler does not check, checked here so that they stay true.
const ROOT = resolve(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' || entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports or requires, resolved against the file when relative. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return specifiers.map((s) => (s.startsWith('.') ? relative(ROOT, resolve(file, '..', s)) : s));
}

const folders = (parent: string) =>
  readdirSync(join(ROOT, parent), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

describe('code layout', () => {
  it('libs never import apps', () => {
    const offending = sourceFiles(join(ROOT, 'libs')).flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('apps/') || target.startsWith('../'))
        .map((target) => `${relative(ROOT, file)} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it('nest-cli.json names every app and every lib, and nothing else', () => {
    const projects = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')).projects as Record<string, { type: string; root: string }>;
    const roots = (type: string) =>
      Object.values(projects)
        .filter((p) => p.type === type)
        .map((p) => p.root)
        .sort();
    expect(roots('application')).toEqual(folders('apps').map((name) => `apps/${name}`));
    expect(roots('library')).toEqual(folders('libs').map((name) => `libs/${name}`));
  });

  it('IMAP commands see the session only through its command interface', () => {
    const offending = sourceFiles(join(ROOT, 'apps/imap/src/commands'))
      .filter((file) => importsOf(file).includes('apps/imap/src/session/imap-session'))
      .map((file) => relative(ROOT, file));
    expect(offending).toEqual([]);
  });
});
