/**
 * What the flow bot says in its own words (beside the texts the admin wrote into the flow), in
 * the visitor's language: Dutch for a Dutch visitor, English otherwise.
 */
export type FlowBotLanguage = 'en' | 'nl';

export interface FlowBotTexts {
  /** Under a question's numbered list, on channels that cannot show buttons. */
  answerWithNumber: string;
  /** Before the collect-email step's text again, when the answer held no email address. */
  notAnEmail: string;
}

export const FLOW_BOT_TEXTS: Record<FlowBotLanguage, FlowBotTexts> = {
  en: {
    answerWithNumber: 'Reply with the number of your choice.',
    notAnEmail: '{{value}} is not an email address (like name@example.com).',
  },
  nl: {
    answerWithNumber: 'Antwoord met het nummer van uw keuze.',
    notAnEmail: '{{value}} is geen e-mailadres (zoals naam@voorbeeld.nl).',
  },
};

/** The visitor's language as the conversation knows it (MessageReceived.language): Dutch or English. */
export function flowBotLanguage(language: string | null | undefined): FlowBotLanguage {
  return language?.toLowerCase().startsWith('nl') ? 'nl' : 'en';
}
