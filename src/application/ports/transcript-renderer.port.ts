/**
 * Renders a chat's transcript (rule 12) as the email that is sent: subject, plain text and HTML.
 * The application gathers what the visitor saw (never internal comments); the adapter words it in
 * the reader's language and writes the times in their zone.
 */
export const TRANSCRIPT_RENDERER = Symbol('TRANSCRIPT_RENDERER');

export interface TranscriptLine {
  /** Who wrote it: the visitor's name (or email address), the agent's name; '' for an anonymous visitor. */
  author: string;
  side: 'contact' | 'agent';
  /** ISO time the message was received or sent. */
  at: string;
  text: string;
}

export interface TranscriptInput {
  /** The inbox the visitor chatted with (its name). */
  inboxName: string;
  /** The conversation's subject ('' when it has none). */
  subject: string;
  /** Oldest first. */
  lines: TranscriptLine[];
  /** The reader's language (en, nl …); an unknown or missing one falls back to English. */
  language?: string | null;
  /** IANA zone the times are written in; an unknown or missing one falls back to UTC. */
  timeZone?: string | null;
}

export interface RenderedTranscript {
  subject: string;
  text: string;
  html: string;
}

export interface TranscriptRenderer {
  render(input: TranscriptInput): RenderedTranscript;
}
