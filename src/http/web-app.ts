import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { htmlPage } from './html.js';

/**
 * The merchant dashboard (decision 0014): a single-page app built by Vite into web/dist during
 * install, served here. Its hashed assets live under /assets/; index.html answers each path the app
 * routes in the browser (the list below), and no other: an unknown path stays a 404 in the one
 * error shape, and every other page (offers, checkout, buyer, API docs) keeps its own route.
 */

const DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** The browser-side routes of the app (web/src/App.tsx). `:param` segments match one segment. */
export const APP_PATHS = [
  '/',
  '/sign-in',
  '/setup',
  '/servers',
  '/servers/:id',
  '/entitlements',
  '/entitlements/new',
  '/entitlements/:id',
  '/subscribers',
  '/subscribers/:id',
  '/alerts',
  '/webhooks',
  '/webhooks/:id',
  '/jobs',
  '/settings',
] as const;

export async function registerWebApp(app: FastifyInstance): Promise<void> {
  const indexFile = `${DIST}index.html`;
  const built = existsSync(indexFile);
  if (built) {
    await app.register(fastifyStatic, {
      root: `${DIST}assets`,
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      // File names carry a content hash: a changed file is a new name.
      immutable: true,
      maxAge: '365d',
    });
  }
  // Read once: the build does not change while the process runs.
  const index = built ? readFileSync(indexFile, 'utf8') : null;
  for (const url of APP_PATHS) {
    app.get(
      url,
      { schema: { hide: true }, config: { auth: 'public', rate: 'page' } },
      async (_request, reply) => {
        if (index === null)
          return htmlPage(
            reply,
            503,
            'Dashboard not built',
            '<h1>The dashboard is not built</h1><p>Run <code>npm run build:web</code> (or <code>npm ci</code>, which builds it), then restart Rolegate. The API and its docs at <a href="/api/docs">/api/docs</a> work meanwhile.</p>',
          );
        return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
      },
    );
  }
}
