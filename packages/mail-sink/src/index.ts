import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { parseMail, type ParsedMail } from './mime.js';

export interface ReceivedMail extends ParsedMail {
  id: number;
  /** Envelope recipients, as the SMTP conversation gave them. */
  recipients: string[];
  receivedAt: number;
  /** Every http(s) link in the text body. */
  links: string[];
}

export interface MailSink {
  /** `smtp://127.0.0.1:PORT` for SMTP_URL. */
  smtpUrl: string;
  /** The page that lists received mail. */
  webUrl: string;
  mails: ReceivedMail[];
  /** Resolves with the first mail (already received or arriving) that matches. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The sandbox's mail sink: a real SMTP server that keeps every message in memory, and a small web
 * page listing them with their links (so a person can click "Connect Discord" offline).
 */
export async function startMailSink(
  options: { smtpPort?: number; webPort?: number } = {},
): Promise<MailSink> {
  const mails: ReceivedMail[] = [];
  const waiters: { match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }[] = [];

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const parsed = parseMail(Buffer.concat(chunks).toString('utf8'));
        const mail: ReceivedMail = {
          ...parsed,
          id: mails.length + 1,
          recipients: session.envelope.rcptTo.map((r) => r.address),
          receivedAt: Date.now(),
          links: [...parsed.text.matchAll(/https?:\/\/[^\s<>"')]+/g)].map((m) => m[0]),
        };
        mails.push(mail);
        for (const w of [...waiters]) {
          if (w.match(mail)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(mail);
          }
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(options.smtpPort ?? 0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const web: Server = createServer((req, res) => {
    if (req.url === '/api/mails') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(mails));
      return;
    }
    const items = [...mails]
      .reverse()
      .map(
        (m) => `<article class="mail" data-id="${m.id}"><h2>${escape(m.subject)}</h2>
<p class="meta">To ${escape(m.recipients.join(', '))} · ${new Date(m.receivedAt).toISOString()}</p>
<pre>${escape(m.text).replace(/https?:\/\/[^\s<>&]+/g, (u) => `<a href="${u}">${u}</a>`)}</pre></article>`,
      )
      .join('\n');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Mail sink</title>
<meta http-equiv="refresh" content="5"><style>body{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;padding:0 1rem}
.mail{border:1px solid #ddd;border-radius:8px;padding:1rem;margin:1rem 0}.meta{color:#666;font-size:.9em}pre{white-space:pre-wrap}</style></head>
<body><h1>Mail sink</h1><p>${mails.length} message(s) received by the sandbox's SMTP server.</p>${items || '<p>No mail yet.</p>'}</body></html>`);
  });
  await new Promise<void>((resolve) => web.listen(options.webPort ?? 0, '127.0.0.1', resolve));
  const webPort = (web.address() as AddressInfo).port;

  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    webUrl: `http://127.0.0.1:${webPort}`,
    mails,
    waitFor(match, timeoutMs = 10_000) {
      const found = mails.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error('no matching mail arrived in time'));
          }
        }, timeoutMs).unref();
      });
    },
    async close() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await new Promise<void>((resolve) => web.close(() => resolve()));
    },
  };
}
