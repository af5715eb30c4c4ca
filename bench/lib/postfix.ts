import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@mailroom/testing';

/**
 * The peers of issue 16, run side by side with Mailroom in one benchmark: Postfix, Postfix with
 * OpenDKIM (the shared scripts in ../shared/bench), Postfix's smtp-source as the load and
 * smtp-sink as the receiving MX. Needs root and the Debian postfix/opendkim packages.
 */
export const PEER_SCRIPTS = process.env.PEER_BENCH_DIR ?? '/work/shared/bench';

export interface PostfixResult {
  /** N / time until smtp-source had its 250 for every message. */
  accepted: number;
  /** N / time until smtp-sink counted every message (end to end). */
  relayed: number;
  line: string;
}

/** Runs postfix-baseline.sh (or postfix-opendkim.sh) once at one size and returns its summary figures. */
export async function runPostfixScript(script: 'postfix-baseline.sh' | 'postfix-opendkim.sh', env: Record<string, string>): Promise<PostfixResult> {
  const path = join(PEER_SCRIPTS, script);
  if (!existsSync(path)) throw new Error(`${path} not found (PEER_BENCH_DIR)`);
  const output = await run('bash', [path], {
    REPS: '1',
    SIZES: '1024',
    SKIP_SINK: '1',
    // Ports of their own: Mailroom's inbound MX defaults to 2525 too, and other work runs here.
    PF_PORT: String(await freePort()),
    SINK_PORT: String(await freePort()),
    ...env,
  });
  const line = output.split('\n').find((l) => l.startsWith('postfix relay 1KB:'));
  const m = line && /accepted (\d+) msg\/s.*relayed (\d+) msg\/s/.exec(line);
  if (!m) throw new Error(`${script} printed no summary:\n${output.slice(-3000)}`);
  return { accepted: Number(m[1]), relayed: Number(m[2]), line: line! };
}

/** Runs a command to its end; resolves with stdout+stderr, rejects on a non-zero exit. */
export function run(command: string, args: string[], env: Record<string, string> = {}, echo = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (echo) process.stdout.write(chunk.toString().replace(/^(?=.)/gm, '    | '));
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output.slice(-3000)}`))));
  });
}

/**
 * Postfix's smtp-sink on a port of its own, counting messages (-c writes running counters).
 * The same receiving MX the Postfix scripts relay to.
 */
export class PostfixSink {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly out: string,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PostfixSink> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'mr-sink-'));
    chmodSync(dir, 0o755);
    const out = join(dir, 'sink.out');
    writeFileSync(out, '');
    const fd = openSync(out, 'a');
    const child = spawn('/usr/sbin/smtp-sink', ['-c', '-u', 'postfix', `127.0.0.1:${port}`, '1000'], { stdio: ['ignore', fd, 'ignore'] });
    closeSync(fd);
    const sink = new PostfixSink(port, child, out, dir);
    for (let i = 0; i < 100; i++) {
      if (await canConnect(port)) return sink;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill();
    throw new Error('smtp-sink did not start');
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Messages received so far (smtp-sink's mesg= counter). */
  get count(): number {
    const text = readFileSync(this.out, 'latin1').slice(-256);
    const all = [...text.matchAll(/mesg=(\d+)\r/g)];
    return all.length ? Number(all[all.length - 1]![1]) : 0;
  }

  async waitFor(n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count < n) {
      if (Date.now() > deadline) throw new Error(`smtp-sink got ${this.count} of ${n} messages`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill();
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * What one message's two signatures cost on this machine: RSA-2048 (SHA-256) and Ed25519 over a
 * signed-header block of the size Mailroom signs, with cached keys, on one core. The floor a DKIM
 * signing MTA cannot go under; bench:delivery sets its CPU per message against it. CPU time
 * of this thread per pair.
 */
export function twoSignaturesMs(seconds = 2): number {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ed = generateKeyPairSync('ed25519').privateKey;
  const data = Buffer.from('from:Bench <news@sender.test>\r\nto:user1@inbox.test\r\nsubject:Order 1 confirmed\r\n'.repeat(4));
  for (let i = 0; i < 50; i++) {
    sign('sha256', data, rsa);
    sign(null, data, ed);
  }
  // CPU time, not wall time: on a machine shared with other work the wall clock counts their turns too.
  let n = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - started < seconds * 1000) {
    sign('sha256', data, rsa);
    sign(null, data, ed);
    n++;
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000 / n;
}
