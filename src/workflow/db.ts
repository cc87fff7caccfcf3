import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';
import type { Tx } from '../store/decision-store.js';
import './workflow-tables.js';

/** A connection or a transaction: every workflow store method takes either. */
export type Db = Kysely<DB> | Tx;
