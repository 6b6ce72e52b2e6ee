import type { Database } from 'better-sqlite3';
import { statement } from './statements';

/** The tokenizer of search_text; the scratch table below must use exactly the same one. */
export const SEARCH_TOKENIZE = 'unicode61 remove_diacritics 2';

const tokenizerReady = new WeakSet<Database>();

/**
 * The words SQLite's FTS5 makes of a text, distinct, in order of appearance. Asked of FTS5
 * itself (a one-row scratch table in the connection's temp schema), because its case and
 * diacritic folding differ from JavaScript's outside Latin (Greek and Cyrillic accents are kept,
 * some non-BMP letters are folded): words computed any other way would not be its words.
 * The scratch table is emptied after every use; it holds nothing between calls.
 */
export function ftsWords(db: Database, text: string): string[] {
  ensureTokenizer(db);
  statement(db, 'INSERT INTO temp.search_tokenizer (rowid, text) VALUES (1, ?)').run(text);
  try {
    return statement(db, 'SELECT term FROM temp.search_tokenizer_words ORDER BY offset').pluck().all() as string[];
  } finally {
    statement(db, "INSERT INTO temp.search_tokenizer (search_tokenizer) VALUES ('delete-all')").run();
  }
}

function ensureTokenizer(db: Database): void {
  // Created outside the caller's transaction or inside it: a rolled-back creation is noticed by
  // the existence check and done again.
  if (tokenizerReady.has(db) && statement(db, "SELECT 1 FROM temp.sqlite_master WHERE name = 'search_tokenizer_words'").get()) return;
  db.exec(`
    CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_tokenizer USING fts5(text, content = '', contentless_delete = 1, tokenize = '${SEARCH_TOKENIZE}');
    CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_tokenizer_words USING fts5vocab(temp, search_tokenizer, 'instance');
  `);
  tokenizerReady.add(db);
}
