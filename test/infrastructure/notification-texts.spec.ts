import type { NotificationTextInput } from '../../src/application/notifications/notification-texts.port';
import { I18nNotificationTexts } from '../../src/infrastructure/notifications/i18n-notification-texts';

const base = { conversationId: '4b7e6d2c-0000-4000-8000-000000000001', inboxId: 'c2a0e1f3-0000-4000-8000-000000000002' };
const n = (type: NotificationTextInput['type'], params: NotificationTextInput['params']): NotificationTextInput => ({ ...base, type, params });

/** What each notification says, in English and Dutch, and the email with (or without) its link. */
describe('notification texts', () => {
  const texts = new I18nNotificationTexts('https://support.example.test');

  it.each([
    ['mention', { who: 'Ann Lee', subject: 'Refund' }, 'Ann Lee mentioned you in “Refund”', 'Ann Lee noemde je in “Refund”'],
    ['assigned', { who: 'Ann Lee', subject: 'Refund' }, 'Ann Lee assigned “Refund” to you', 'Ann Lee heeft “Refund” aan je toegewezen'],
    ['assigned', { via: 'round-robin', subject: 'Refund' }, '“Refund” was assigned to you automatically', '“Refund” is automatisch aan je toegewezen'],
    ['assigned', { subject: 'Refund' }, '“Refund” was assigned to you', '“Refund” is aan je toegewezen'],
    ['handoff', { subject: 'Refund' }, 'The bot handed “Refund” over to you', 'De bot heeft “Refund” aan je overgedragen'],
    ['new-message', { who: 'Jo Buyer', subject: '' }, 'Jo Buyer wrote in “(no subject)”', 'Jo Buyer schreef in “(geen onderwerp)”'],
  ] as const)('%s %j', (type, params, english, dutch) => {
    expect(texts.text('en', n(type, params))).toBe(english);
    expect(texts.text('nl', n(type, params))).toBe(dutch);
    // An unknown or missing language reads as English.
    expect(texts.text(null, n(type, params))).toBe(english);
    expect(texts.text('fr', n(type, params))).toBe(english);
  });

  it('emails with the subject line and a link to the conversation at the public address', () => {
    const email = texts.email('en', n('mention', { who: 'Ann Lee', subject: 'Refund' }));
    expect(email.subject).toBe('[Parley] Ann Lee mentioned you in “Refund”');
    expect(email.text).toContain(
      `Open the conversation: https://support.example.test/inbox?inbox=${base.inboxId}&view=all-open&conversation=${base.conversationId}`,
    );
    expect(texts.email('nl', n('handoff', { subject: 'Refund' })).text).toContain('Open het gesprek: https://support.example.test/inbox?');
  });

  it('without a public address, says to open Parley rather than guess one', () => {
    const email = new I18nNotificationTexts(null).email('en', n('assigned', { subject: 'Refund' }));
    expect(email.text).toContain('Open Parley to see the conversation.');
    expect(email.text).not.toContain('http');
  });
});
