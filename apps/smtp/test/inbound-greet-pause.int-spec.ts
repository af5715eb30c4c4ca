import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInbound, type InboundHarness } from './inbound-harness';

/** What arrives on a raw connection within `ms`, and when the first bytes came (ms after connecting). */
function listen(port: number, ms: number, talkFirst?: string): Promise<{ text: string; firstAt: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let text = '';
    let firstAt = -1;
    const socket: Socket = connect(port, '127.0.0.1', () => {
      if (talkFirst) socket.write(talkFirst);
    });
    socket.on('data', (chunk: Buffer) => {
      if (firstAt < 0) firstAt = Date.now() - started;
      text += chunk.toString('latin1');
    });
    socket.on('error', reject);
    setTimeout(() => {
      socket.destroy();
      resolve({ text, firstAt });
    }, ms);
  });
}

/**
 * SMTP_GREET_PAUSE_MS: the inbound MX greets at once by default (smtp-server's fixed 100 ms
 * pause before every greeting held 20 one-message sessions under 200 messages/s), and an
 * operator who sets a pause gets early-talker refusal, as with Postfix's postscreen.
 */
describe('inbound MX greeting pause', () => {
  let paused: InboundHarness;
  let prompt: InboundHarness;

  beforeAll(async () => {
    paused = await startInbound({ SMTP_GREET_PAUSE_MS: '1500' });
    prompt = await startInbound();
  });
  afterAll(async () => {
    await paused?.close();
    await prompt?.close();
  });

  it('waits the configured pause before the greeting, and refuses a client that talks first', async () => {
    const patient = await listen(paused.port, 2500);
    expect(patient.text).toMatch(/^220 /);
    expect(patient.firstAt).toBeGreaterThanOrEqual(1400);

    const early = await listen(paused.port, 2500, 'EHLO bot.example\r\n');
    expect(early.text).toMatch(/^421 .*You talk too soon/m);
    expect(early.text).not.toMatch(/^220 /m);
  });

  it('greets at once by default, so a client that talks only after the greeting is served', async () => {
    expect(prompt.config.SMTP_GREET_PAUSE_MS).toBe(0);
    const patient = await listen(prompt.port, 1000);
    expect(patient.text).toMatch(/^220 /);
  });
});
