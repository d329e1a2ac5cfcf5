import type { Config } from '../config.js';
import { issueSetupLink } from '../app/admin/admins.js';
import { startRolegate, type Rolegate } from '../main/app.js';
import { sandboxBanner, sandboxWanted, startSandbox } from '../main/sandbox.js';

/** `rolegate serve`: API + worker + scheduler in one process; the offline sandbox when nothing is configured. */
export async function startServe(config: Config): Promise<Rolegate> {
  if (sandboxWanted(config)) {
    const sandbox = await startSandbox(config);
    const { app } = sandbox;
    app.ctx.log.info({ url: app.url, sandbox: true }, 'Rolegate is running (sandbox)');
    console.log(sandboxBanner(sandbox));
    return { ...app, stop: () => sandbox.stop() };
  }
  const app = await startRolegate({
    config,
    run: { http: true, worker: true, scheduler: true, gateway: true },
  });
  app.ctx.log.info({ url: app.url, database: config.DATABASE_URL.split(':')[0] }, 'Rolegate is running');
  const setupLink = await issueSetupLink(app.ctx);
  const claim = setupLink
    ? `\n  First-run setup link (one use; sign in with Discord to become the admin):\n    ${setupLink}\n`
    : '';
  console.log(
    `\nRolegate is running.\n  Dashboard: ${app.ctx.publicUrl}/\n${claim}  health:    ${app.url}/healthz\n  API docs:  ${app.url}/api/docs\n`,
  );
  return app;
}
