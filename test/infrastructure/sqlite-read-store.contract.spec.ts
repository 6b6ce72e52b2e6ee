import { readStoreContract } from '../contracts/read-store.contract';
import { openFedSqliteReadSide } from '../support/fed-read-side';

/**
 * The embedded read store through the read-store contract. Events reach the projections the way
 * they do in production: through the ProjectionRunner's subscription and batch transactions, so
 * redeliveries are skipped (or absorbed) exactly as a live system would.
 */
readStoreContract('SQLite read store', async () => openFedSqliteReadSide());
