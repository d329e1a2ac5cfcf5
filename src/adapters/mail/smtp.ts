import nodemailer from 'nodemailer';
import type { MailMessage, MailPort } from '../../core/ports/index.js';

/** Sends mail over SMTP (a real SMTP conversation, also with the sandbox's mail sink). */
export class SmtpMail implements MailPort {
  private readonly transport: nodemailer.Transporter;
  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url);
  }
  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...message });
  }
}

/** Used when no SMTP server is configured: mail is logged (without its body) and dropped. */
export class LogOnlyMail implements MailPort {
  constructor(private readonly log: (msg: string, to: string) => void) {}
  async send(message: MailMessage): Promise<void> {
    this.log(`mail not sent (no SMTP_URL): ${message.subject}`, message.to);
  }
}
