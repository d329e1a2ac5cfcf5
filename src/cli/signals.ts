import type { Rolegate } from '../main/app.js';

/** On SIGTERM/SIGINT: stop claiming, finish or release claimed jobs, close, exit 0. */
export function stopOnSignal(app: Rolegate): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.ctx.log.info({ signal }, 'shutting down: finishing or releasing claimed jobs');
    await app.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
