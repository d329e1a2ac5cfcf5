import { startMailSink, type MailSink } from '@rolegate/mail-sink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpMail } from '../../src/adapters/mail/smtp.js';

describe('the SMTP mail adapter', () => {
  let sink: MailSink;
  beforeAll(async () => {
    sink = await startMailSink();
  });
  afterAll(() => sink.close());

  it('delivers a message through a real SMTP conversation, long links and non-ASCII subject intact', async () => {
    const mail = new SmtpMail(sink.smtpUrl, 'Rolegate <rolegate@example.test>');
    const long = 'https://example.test/discord/link?grant=' + 'x'.repeat(120);
    await mail.send({
      to: 'buyer@example.test',
      subject: 'Your access — connect Discord ✓',
      text: `Hello!\nConnect: ${long}\nClaim code: ABCD-EFGH`,
    });
    const got = await sink.waitFor((m) => m.recipients.includes('buyer@example.test'));
    expect(got.from).toContain('rolegate@example.test');
    expect(got.subject).toBe('Your access — connect Discord ✓');
    expect(got.links).toEqual([long]);
  });
});
