/**
 * The words the MongoDB search indexes and looks for.
 *
 * MongoDB's own text index ($text) is not used: it matches whole (stemmed) words and ORs the
 * terms of a query, while Parley's search (docs/design.md rule 2, as the embedded FTS5 search does it)
 * needs every term to be found as a word PREFIX ("ref" finds "refunds", never "funds"). So each
 * conversation keeps its distinct words in an array with a multikey index, and a term becomes an
 * anchored, case-sensitive regular expression on that array (`/^refund/`), which MongoDB answers
 * with a range of the index (["refund", "refunE")) instead of a scan.
 *
 * Words are folded here the same way for indexing and for querying: lower case, decomposed, the
 * non-spacing marks (accents) removed, recomposed. Differences from SQLite's unicode61 tokenizer
 * (`remove_diacritics 2`): accents are removed in every script, not only Latin ones (Greek "ά"
 * finds "α" here, not in SQLite), and nothing else (ß, ligatures) is folded in either.
 */

/** Runs of letters, digits, marks and characters beyond the BMP: the word characters of searchTerms. */
const WORD = /[\p{L}\p{N}\p{M}\p{Co}\u{10000}-\u{10FFFF}]+/gu;
const NON_SPACING_MARKS = /\p{Mn}/gu;

export function foldText(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(NON_SPACING_MARKS, '').normalize('NFC');
}

/** The distinct folded words of a text, in order of first appearance. */
export function searchWords(text: string): string[] {
  return [...new Set(foldText(text).match(WORD) ?? [])];
}

/**
 * The words one query term asks for: every one must be found as a prefix. Usually exactly one;
 * none when the term is only accents (no constraint, as in the embedded search).
 */
export function termWords(term: string): string[] {
  return searchWords(term);
}

/** An anchored prefix expression for a word (whose characters are never regex syntax, but escaped anyway). */
export function prefixPattern(word: string): RegExp {
  return new RegExp(`^${word.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')}`);
}
