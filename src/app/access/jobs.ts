import { z } from 'zod';
import { defineJob, defineTask } from '../../core/jobs.js';

/** The Discord roles' job kinds (handlers: ./job-handlers.ts). */

/** Brings one member's roles in line with the database (docs/decisions/0004-member-sync.md). */
export const memberSyncJob = defineJob(
  'member.sync',
  z.object({
    serverId: z.string(),
    userId: z.string(),
    cause: z.string(),
    /**
     * Read the member first instead of trusting the roles the grants record (decision 0019): for
     * causes that say the records may not describe this account (an account switch, a "check my
     * roles" button, a claim again after leaving and rejoining).
     */
    verify: z.boolean().optional(),
    /**
     * The member's roles as a gateway event just showed them (decision 0018): the sync plans against
     * these instead of the records, without a read. Absent: not observed.
     */
    observedRoles: z.array(z.string()).optional(),
  }),
);
export type MemberSyncPayload = z.infer<typeof memberSyncJob.schema>;

/** Re-reads one server's guild, roles and bot standing, and pauses or heals it (queued by role/guild events). */
export const serverCheckJob = defineJob('server.check', z.object({ serverId: z.string() }));

/** Periodic: resumes paused servers that are healthy again. */
export const serversHealTask = defineTask('servers.heal');

/** Periodic: queues one `reconcile.server` per connected server. */
export const reconcileAllTask = defineTask('reconcile.all');
export const reconcileServerJob = defineJob('reconcile.server', z.object({ serverId: z.string() }));
