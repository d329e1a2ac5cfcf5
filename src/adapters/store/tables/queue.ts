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

export interface InboxEventsTable {
  source: string;
  id: string;
  type: string;
  payload: string;
  received_at: number;
  processed_at: number | null;
  error: string | null;
}
