import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '@mailroom/testing';

/**
 * `npm run cli` (and npm start, db:migrate, bench:*) build first only when the build is missing or
 * older than a source. Checked on a copy of the project's scripts and build setup with a CLI of a
 * few lines, so the shared dist/ is never rebuilt under other tests.
 */
function npmRunCli(root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm, 'run', '-s', 'cli']] : ['npm', ['run', '-s', 'cli']];
  return new Promise((done) => {
    execFile(command, args, { cwd: root, env: { ...process.env, npm_config_update_notifier: 'false' } }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run cli builds only when the build is stale', () => {
  let root: string;
  const source = () => join(root, 'apps/cli/src/main.ts');
  const built = () => join(root, 'dist/apps/cli/src/main.js');
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mailroom-build-'));
    for (const file of ['package.json', '.swcrc', 'scripts/build.js']) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      copyFileSync(join(REPO_ROOT, file), join(root, file));
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
    write(source(), "const answer: string = 'first';\nconsole.log(answer);\n");
    write(join(root, 'libs/common/src/index.ts'), 'export const common = 1;\n');
    write(join(root, 'bench/readme.ts'), 'export {};\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds a missing build, then runs the built CLI without building again', async () => {
    const first = await npmRunCli(root);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('first\n');
    const builtAt = statSync(built()).mtimeMs;
    const stampAt = statSync(join(root, 'dist/.build-stamp')).mtimeMs;

    const second = await npmRunCli(root);
    expect(second.stdout).toBe('first\n');
    expect(statSync(built()).mtimeMs).toBe(builtAt);
    expect(statSync(join(root, 'dist/.build-stamp')).mtimeMs).toBe(stampAt);
  });

  it('builds again when a source is newer than the build', async () => {
    write(source(), "const answer: string = 'second';\nconsole.log(answer);\n");
    const later = new Date(statSync(join(root, 'dist/.build-stamp')).mtimeMs + 2_000);
    utimesSync(source(), later, later);
    expect((await npmRunCli(root)).stdout).toBe('second\n');
  });

  it('builds again when a source is added or removed, whatever its date', async () => {
    const past = new Date(Date.now() - 3_600_000);
    write(join(root, 'libs/common/src/extra.ts'), 'export const extra = 2;\n');
    utimesSync(join(root, 'libs/common/src/extra.ts'), past, past);
    await npmRunCli(root);
    expect(readFileSync(join(root, 'dist/libs/common/src/extra.js'), 'utf8')).toContain('extra = 2');

    rmSync(join(root, 'libs/common/src/extra.ts'));
    const stampAt = statSync(join(root, 'dist/.build-stamp')).mtimeMs;
    await npmRunCli(root);
    expect(statSync(join(root, 'dist/.build-stamp')).mtimeMs).not.toBe(stampAt);
  });
});
