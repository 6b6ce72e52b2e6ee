import { createFormsPlugin } from '../../../src/plugins/forms/forms-plugin';
import { validateFormSettings } from '../../../src/plugins/forms/settings';
import { channelPluginConformance } from '../../../src/plugins/testing';

/**
 * The support forms channel against the plugin conformance kit. Its outside world is a website's
 * server posting JSON to the public submission route (the hosted page's own posts are tested in
 * forms-plugin.spec.ts): the kit's message id is the submission id, so a redelivery is a
 * resubmission; the first message of a kit thread starts it, and later ones are follow-ups
 * (`followUpOf`) of that first submission, sent with its email (the plugin refuses a follow-up
 * from another address). Forms have no way back of their own
 * (agents answer by email), so there is no `send` and no outbound scenario.
 */
const FORM = '5f0a11c0-0000-4000-8000-0000000c0f0f';
const INBOX = '5f0a11c0-0000-4000-8000-00000000b0b0';
const settings = validateFormSettings({ title: 'Conformance form', customFields: ['order_number | Order number | text'] }, { inboxId: INBOX });
/** The submission that started each kit thread, and its email (a follow-up comes from the same contact). */
const firstOfThread = new Map<string, { submissionId: string; email: string }>();

channelPluginConformance('forms', {
  createPlugin: () => createFormsPlugin(),
  scenario: {
    connections: [{ id: FORM, inboxId: INBOX, settings }],
    deliverInbound: async (host, message) => {
      const first = firstOfThread.get(message.externalThreadId);
      if (first === undefined) firstOfThread.set(message.externalThreadId, { submissionId: message.externalMessageId, email: message.from.address });
      const followUp = first !== undefined && first.submissionId !== message.externalMessageId;
      const response = await host.request('POST', `/channels/forms/${FORM}/submissions`, {
        body: {
          submissionId: message.externalMessageId,
          name: message.from.name,
          email: followUp ? first.email : message.from.address,
          subject: message.subject,
          message: message.text,
          fields: { order_number: 'A-1' },
          ...(followUp ? { followUpOf: first.submissionId } : {}),
        },
      });
      if (response.status !== 201) throw new Error(`expected 201, got ${response.status}: ${JSON.stringify(response.body)}`);
    },
  },
});
