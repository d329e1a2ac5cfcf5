import type { Kysely } from 'kysely';
import { createCatalogTables } from './001/catalog.js';
import { createCustomerTables, createGrantTables } from './001/grants.js';
import { createQueueTables } from './001/queue.js';
import { createWebhookTables } from './001/webhooks.js';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is still being built */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await createCatalogTables(db, dialect);
  await createCustomerTables(db, dialect);
  await createGrantTables(db, dialect);
  await createQueueTables(db, dialect);
  await createWebhookTables(db, dialect);
}
