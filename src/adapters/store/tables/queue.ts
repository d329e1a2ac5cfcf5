import type { Generated } from 'kysely';

/** The job queue, periodic tasks, the gateway lease and the inbox of external events. */

export interface JobsTable {
  id: string;
  kind: string;
  payload: string;
  /** `queued` | `running` | `dead` (done jobs are deleted; their count lives in job_runs and metrics) */
  status: string;
  dedupe_key: string | null;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface JobRunsTable {
  /** Optional audit of completed jobs (benchmarks and exactly-once tests read it). */
  id: Generated<number>;
  job_id: string;
  kind: string;
  worker: string;
  created_at: number;
}

export interface PeriodicTasksTable {
  name: string;
  /** Index of the last period (floor(now / interval)) for which the task was enqueued. */
  last_period: number;
}

/** The gateway listener's leader lease, one row per bot (see migration 011). */
export interface GatewayLeasesTable {
  name: string;
  /** The instance holding the lease (its listener id). */
  holder: string;
  /** Epoch ms; after it any instance may take the lease. */
  expires_at: number;
  /** Where the leader's connection stands: connecting | connected | no_members_intent | disconnected. */
  status: string;
  detail: string | null;
  updated_at: number;
}

/** External inputs, stored before they are handled (src/app/inbox; decisions 0005 and 0024). */
export interface InboxEventsTable {
  /** `stripe` | `discord` */
  source: string;
  id: string;
  type: string;
  payload: string;
  received_at: number;
  /** When it was handled (null: not yet, or its last try failed and a retry is queued). */
  processed_at: number | null;
  error: string | null;
  /** The Discord server and user of an interaction (null for Stripe events). */
  guild_id: Generated<string | null>;
  user_id: Generated<string | null>;
  /** How handling ended: `answered` | `failed` (interactions), `applied` | `ignored` (Stripe events). */
  outcome: Generated<string | null>;
  /** The answer given to an interaction (JSON), given again to a duplicate delivery. */
  response: Generated<string | null>;
}
