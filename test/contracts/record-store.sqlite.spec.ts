import { openFedSqliteReadSide } from '../support/fed-read-side';
import { recordStoreContract } from './record-store.contract';

/** The embedded record store through the record-store contract, fed the way production feeds it. */
recordStoreContract('SQLite record store', async () => openFedSqliteReadSide());
