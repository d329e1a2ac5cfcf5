import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { killLeftovers, runBinToEnd, startBin } from './run-bin.js';

afterEach(killLeftovers);

describe('the mail-sink command', () => {
  it('runs alone: mail sent to the printed SMTP URL shows up in its JSON list, and SIGTERM stops it', async () => {
    const bin = await startBin(['--smtp-port', '0', '--web-port', '0', '--json']);
    const summary = JSON.parse(bin.firstLine) as { smtpUrl: string; webUrl: string; apiUrl: string };
    await nodemailer.createTransport(summary.smtpUrl).sendMail({
      from: 'shop@example.test',
      to: 'buyer@example.test',
      subject: 'Hello from the bin test',
      text: 'Connect: https://example.test/link',
    });
    const mails = (await (await fetch(summary.apiUrl)).json()) as { subject: string; links: string[] }[];
    expect(mails).toMatchObject([
      { subject: 'Hello from the bin test', links: ['https://example.test/link'] },
    ]);
    expect(await bin.stop()).toBe(0);
  });

  it('prints a banner that starts with its SMTP URL', async () => {
    const bin = await startBin(['--smtp-port', '0', '--web-port', '0']);
    expect(bin.firstLine).toMatch(/^Mail sink listening on smtp:\/\/127\.0\.0\.1:\d+$/);
    expect(await bin.stop()).toBe(0);
  });

  it('refuses a port that is not a number with the usage text and exit code 2', async () => {
    const result = await runBinToEnd(['--smtp-port', 'twenty-five']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: mail-sink');
  });
});
