import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailSink, type MailSink } from '../src/index.js';

describe('mail sink', () => {
  let sink: MailSink;
  beforeAll(async () => {
    sink = await startMailSink();
  });
  afterAll(() => sink.close());

  it('receives a real SMTP conversation from nodemailer and reads the message back', async () => {
    const mail = nodemailer.createTransport(sink.smtpUrl);
    const long = 'https://example.test/discord/link?grant=' + 'x'.repeat(120);
    await mail.sendMail({
      from: 'Rolegate <rolegate@example.test>',
      to: 'buyer@example.test',
      subject: 'Your access — connect Discord ✓',
      text: `Hello!\nConnect: ${long}\nClaim code: ABCD-EFGH`,
    });
    const got = await sink.waitFor((m) => m.recipients.includes('buyer@example.test'));
    expect(got.subject).toBe('Your access — connect Discord ✓');
    expect(got.text).toContain('Claim code: ABCD-EFGH');
    expect(got.links).toEqual([long]);
  });

  it('lists received mail with clickable links on its page', async () => {
    const page = await (await fetch(sink.webUrl)).text();
    expect(page).toContain('Your access');
    expect(page).toContain('<a href="https://example.test/discord/link?grant=');
  });
});
