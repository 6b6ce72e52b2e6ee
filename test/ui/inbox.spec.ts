import type { Browser, BrowserContext, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import {
  chromiumMissing,
  count,
  eventually,
  focusedId,
  launchChromium,
  logIn,
  markPage,
  pageWasNotReloaded,
  row,
  startUiApp,
  textOf,
  waitForText,
  type UiApp,
} from '../support/ui-harness';

/**
 * The agent's inbox in a real browser (Chromium), against the real app on a free port. Every
 * scenario works a conversation the way an agent does, through the page only; messages arrive
 * through the API channel as they would from an integration.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (inbox)', missing, 'chromium');
  it.skip('web UI browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Web UI in Chromium: the inbox', () => {
    let ui: UiApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let me: { id: string; name: string };
    let grace: { id: string };
    let run = 0;
    const unique = (label: string) => `${label} (${process.pid}.${++run})`;

    beforeAll(async () => {
      ui = await startUiApp();
      me = (await ui.api('GET', '/api/me')).body;
      grace = (await ui.api('POST', '/api/agents', { name: 'Grace Hopper', email: 'grace@example.com', password: 'grace-password-1', role: 'agent' })).body;
      const inboxes = (await ui.api('GET', '/api/inboxes')).body.inboxes;
      await ui.api('PUT', `/api/inboxes/${inboxes[0].id}/members`, { agentIds: [grace.id] });
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      page = await context.newPage();
      page.on('dialog', (dialog) => void dialog.accept());
      await logIn(page, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    const goToView = async (viewId: string) => {
      const link = page.locator(`a.view-link[data-view="${viewId}"]`);
      if (!(await link.isVisible())) await page.click('#more-views > summary');
      await Promise.all([page.waitForURL(new RegExp(`view=${viewId}`)), link.click()]);
      await page.waitForSelector('#app[data-live="on"]');
    };
    const open = async (subject: string) => {
      await row(page, subject).locator('.conv-link').click();
      await waitForText(page.locator('#thread-subject'), subject);
    };
    const flash = () => page.locator('#flash .flash');

    it('shows a message received through the API channel live, with the counts, without a reload', async () => {
      await goToView('unassigned');
      const before = await count(page, 'unassigned');
      await markPage(page);
      const subject = unique('Kettle never arrived');
      await ui.receive({ subject, from: { address: 'jane@customer.test', name: 'Jane Cooper' }, text: 'Order 1042 has not arrived.' });
      await row(page, subject).waitFor();
      await eventually(async () => (await count(page, 'unassigned')) === before + 1, 10_000, 'Unassigned count');
      expect(await pageWasNotReloaded(page)).toBe(true);
      const item = row(page, subject);
      expect(await textOf(item.locator('.conv-contact'))).toBe('Jane Cooper');
      expect(await textOf(item.locator('.conv-preview'))).toContain('Order 1042 has not arrived.');
      expect(await item.locator('.channel-api').count()).toBe(1);
      expect(await item.locator('.conv-indicator.is-new').count()).toBe(1);
    });

    it('assigns through the owner dropdown; Assigned to me counts it and a change made elsewhere shows live', async () => {
      await goToView('unassigned');
      const subject = unique('Invoice address');
      const { conversationId } = await ui.receive({ subject });
      await row(page, subject).waitFor();
      const mine = await count(page, 'assigned-to-me');
      await open(subject);
      await page.selectOption('#owner-select', me.id);
      await waitForText(flash(), 'Owner changed');
      await eventually(async () => (await count(page, 'assigned-to-me')) === mine + 1, 10_000, 'Assigned to me count');
      await eventually(async () => (await row(page, subject).count()) === 0, 10_000, 'row left Unassigned');
      // Someone else reassigns it: the open thread follows without a reload.
      await markPage(page);
      await ui.api('POST', `/api/conversations/${conversationId}/assign`, { assignee: grace.id });
      await eventually(async () => (await page.locator('#owner-select').inputValue()) === grace.id, 10_000, 'owner shown live');
      await eventually(async () => (await count(page, 'assigned-to-me')) === mine, 10_000, 'Assigned to me count after the change');
      expect(await pageWasNotReloaded(page)).toBe(true);
    });

    it('comments with @mention completion, and replies; comments look different from messages', async () => {
      const subject = unique('Refund for a broken mug');
      await ui.receive({ subject, text: 'The mug arrived broken.' });
      await goToView('unassigned');
      await open(subject);
      await page.keyboard.press('c');
      expect(await focusedId(page)).toBe('comment-text');
      await page.keyboard.type('Please check the warehouse, @gra');
      await page.locator('#mention-list li', { hasText: 'Grace Hopper' }).waitFor();
      await page.keyboard.press('Enter');
      expect(await page.inputValue('#comment-text')).toBe('Please check the warehouse, @grace.hopper ');
      await page.keyboard.type('thanks');
      await page.keyboard.press('Control+Enter');
      await waitForText(flash(), '1 teammate notified');
      const note = page.locator('#timeline .note').last();
      expect(await textOf(note)).toContain('Internal comment');
      expect(await textOf(note.locator('.mention'))).toBe('@grace.hopper');
      const background = (el: unknown) => (globalThis as any).getComputedStyle(el).backgroundColor as string;
      expect(await note.evaluate(background)).not.toBe(await page.locator('#timeline .msg').first().evaluate(background));

      // The comment box keeps the focus after sending; Escape leaves it, so shortcuts work again.
      await eventually(async () => (await focusedId(page)) === 'comment-text', 5_000, 'focus back in the comment box');
      await page.keyboard.press('Escape');
      await page.keyboard.press('r');
      expect(await focusedId(page)).toBe('reply-text');
      await page.keyboard.type('We are sending a new mug today.');
      await page.click('#send-reply');
      await waitForText(flash(), 'Reply sent');
      await waitForText(page.locator('#timeline .msg-out').last(), 'We are sending a new mug today.');
      expect(await page.inputValue('#reply-text')).toBe('');
    });

    it('refuses a stale reply with a visible message when the conversation changed meanwhile, then sends it', async () => {
      const thread = `stale-${process.pid}-${++run}`;
      const subject = unique('Delivery window');
      await ui.receive({ subject, externalThreadId: thread, text: 'Can you deliver on Friday?' });
      await goToView('unassigned');
      await open(subject);
      await page.click('#reply-text');
      await page.keyboard.type('Friday works, see you then.');
      // The contact writes again while the agent is typing: the thread refreshes live…
      await ui.receive({ subject, externalThreadId: thread, text: 'Actually, Saturday would be better.' });
      await waitForText(page.locator('#timeline'), 'Actually, Saturday would be better.');
      expect(await page.inputValue('#reply-text')).toBe('Friday works, see you then.');
      // …and the reply written against the old state is refused, visibly, keeping the draft.
      await page.click('#send-reply');
      await page.locator('#stale-reply').waitFor();
      expect(await textOf(page.locator('#stale-reply'))).toContain('Someone else changed this conversation');
      expect(await page.inputValue('#reply-text')).toBe('Friday works, see you then.');
      expect(await page.locator('#timeline .msg-out').count()).toBe(0);
      // Having seen the change, the agent edits and sends again: accepted.
      await page.fill('#reply-text', 'Saturday works, see you then.');
      await page.click('#send-reply');
      await waitForText(page.locator('#timeline .msg-out').last(), 'Saturday works, see you then.');
    });

    it('creates a ticket, then closes with the ticket choice (e); the ticket name links to the ticket', async () => {
      const subject = unique('Broken handle');
      await ui.receive({ subject });
      await goToView('unassigned');
      await open(subject);
      await page.fill('#ticket-name-input', 'Replace handle');
      await page.click('#create-ticket');
      await waitForText(page.locator('#ticket-name'), 'Replace handle');
      await waitForText(page.locator('#ticket-link'), 'Replace handle');
      await page.click('#ticket-link');
      expect(await focusedId(page)).toBe('ticket-card');
      await page.locator('#thread-subject').click();
      await page.keyboard.press('e');
      await page.locator('#close-with-ticket').waitFor();
      await page.click('#close-with-ticket');
      await waitForText(flash(), 'Conversation and ticket closed');
      await waitForText(page.locator('#status-tag'), 'Closed');
      expect(await textOf(page.locator('#ticket-card .tag'))).toBe('Closed');
      await page.click('#reopen-btn');
      await waitForText(page.locator('#status-tag'), 'Open');
    });

    it('closes a conversation with e and unlinks its contact with the X', async () => {
      const subject = unique('Question about sizes');
      await ui.receive({ subject, from: { address: 'sam@startup.test', name: 'Sam Patel' } });
      await goToView('unassigned');
      await open(subject);
      await page.click('#unlink-contact');
      await waitForText(flash(), 'Contact unlinked');
      await page.locator('#no-contact').waitFor();
      await page.locator('#thread-subject').click();
      await page.keyboard.press('e');
      await waitForText(flash(), 'Conversation closed');
      await waitForText(page.locator('#status-tag'), 'Closed');
      await eventually(async () => (await row(page, subject).count()) === 0, 10_000, 'closed conversation left Unassigned');
    });

    it('moves to trash and restores; deletes forever from Trash after a confirmation', async () => {
      const keep = unique('Trash me and restore');
      const gone = unique('Trash me for good');
      await ui.receive({ subject: keep });
      await ui.receive({ subject: gone });
      await goToView('unassigned');
      for (const subject of [keep, gone]) {
        await open(subject);
        await page.click('#more-menu > summary');
        await page.click('#trash-btn');
        await waitForText(flash(), 'Moved to Trash');
      }
      await goToView('trash');
      await open(keep);
      await page.click('#restore-btn');
      await waitForText(flash(), 'Restored from Trash');
      await eventually(async () => (await row(page, keep).count()) === 0, 10_000, 'restored row left Trash');
      await open(gone);
      const dialogs: string[] = [];
      page.once('dialog', (dialog) => void dialogs.push(dialog.message()));
      await page.click('#delete-btn');
      await waitForText(flash(), 'Deleted forever');
      expect(dialogs[0]).toContain('cannot be restored');
      await eventually(async () => (await row(page, gone).count()) === 0, 10_000, 'deleted row left Trash');
      await goToView('unassigned');
      await row(page, keep).waitFor();
    });

    it('closes a selection in bulk', async () => {
      const subjects = [unique('Bulk one'), unique('Bulk two'), unique('Bulk three')];
      for (const subject of subjects) await ui.receive({ subject });
      await goToView('unassigned');
      for (const subject of subjects) await row(page, subject).waitFor();
      await row(page, subjects[0]).locator('.conv-check').check();
      await row(page, subjects[1]).locator('.conv-check').check();
      expect(await textOf(page.locator('#bulk-count'))).toBe('2 selected');
      await page.click('#bulk-close');
      await waitForText(flash(), 'Closed 2 conversations');
      await eventually(
        async () => (await row(page, subjects[0]).count()) + (await row(page, subjects[1]).count()) === 0,
        10_000,
        'closed rows left Unassigned',
      );
      expect(await row(page, subjects[2]).count()).toBe(1);
      expect(await textOf(page.locator('#bulk-count'))).toBe('Select');
      await goToView('all-closed');
      await row(page, subjects[0]).waitFor();
      await row(page, subjects[1]).waitFor();
    });

    it('searches with text and filters, and exits the search', async () => {
      const word = `zebra${process.pid}${++run}`;
      const openOne = unique(`Striped ${word} kettle`);
      const closedOne = unique(`Striped ${word} teapot`);
      await ui.receive({ subject: openOne, from: { address: 'li.wei@example.org', name: 'Li Wei' } });
      const closed = await ui.receive({ subject: closedOne });
      await ui.api('POST', `/api/conversations/${closed.conversationId}/close`, {});
      await goToView('unassigned');
      await page.fill('#search-q', word);
      await Promise.all([page.waitForURL(/search=1/), page.press('#search-q', 'Enter')]);
      await row(page, openOne).waitFor();
      await row(page, closedOne).waitFor();
      expect(await textOf(page.locator('#list-title'))).toBe('Search results');
      // Status filter: closed only.
      await page.click('#search-filters > summary');
      await page.selectOption('#filter-status', 'closed');
      await Promise.all([page.waitForURL(/status=closed/), page.click('#search-submit')]);
      await row(page, closedOne).waitFor();
      expect(await row(page, openOne).count()).toBe(0);
      // Channel, assignee and date range combine: nothing today is in last year.
      await page.selectOption('#filter-status', '');
      await page.selectOption('#filter-channel', 'api');
      await page.selectOption('#filter-assignee', 'none');
      await page.fill('#filter-from', '2020-01-01');
      await page.fill('#filter-to', '2020-12-31');
      await Promise.all([page.waitForURL(/to=2020-12-31/), page.click('#search-submit')]);
      await page.locator('.empty-list').waitFor();
      await page.fill('#filter-from', '');
      await page.fill('#filter-to', '');
      await Promise.all([page.waitForURL((url) => !url.search.includes('to=2020')), page.click('#search-submit')]);
      await row(page, openOne).waitFor();
      // A mistake in a filter is explained in the list, not an error page.
      const withTypo = new URL(page.url());
      withTypo.searchParams.set('from', 'yesterday');
      await page.goto(withTypo.toString());
      await waitForText(page.locator('.list-error'), 'from: must be an ISO date');
      await Promise.all([page.waitForURL(/view=/), page.click('#exit-search')]);
      expect(await textOf(page.locator('#list-title'))).not.toBe('Search results');
    });

    it('hides trash and filtered conversations from a search on request', async () => {
      const word = `okapi${process.pid}${++run}`;
      const trashedSubject = unique(`Okapi ${word} trashed`);
      const trashed = await ui.receive({ subject: trashedSubject });
      await ui.api('POST', `/api/conversations/${trashed.conversationId}/trash`, {});
      await page.goto(`${ui.baseUrl}/inbox?search=1&q=${word}`);
      await page.locator('.empty-list').waitFor();
      await page.click('#search-filters > summary');
      await page.uncheck('#filter-hide-trash');
      await Promise.all([page.waitForURL(/hideTrash=false/), page.click('#search-submit')]);
      await row(page, trashedSubject).waitFor();
      expect(await textOf(row(page, trashedSubject).locator('.conv-tags'))).toContain('Trash');
    });

    it('blocks a sender: the thread is found in Filtered, and can be unblocked there', async () => {
      const subject = unique('Buy cheap watches');
      const sender = `spammer-${process.pid}-${++run}@junk.test`;
      await ui.receive({ subject, from: { address: sender, name: 'Watch Seller' } });
      await goToView('unassigned');
      await open(subject);
      await page.click('#more-menu > summary');
      await page.click('#block-btn');
      await waitForText(flash(), `${sender} is blocked`);
      await eventually(async () => (await row(page, subject).count()) === 0, 10_000, 'blocked thread left Unassigned');
      // A search finds it, flagged, unless "Hide filtered" is ticked.
      await page.goto(`${ui.baseUrl}/inbox?search=1&q=${encodeURIComponent(sender)}`);
      await row(page, subject).waitFor();
      expect(await textOf(row(page, subject).locator('.conv-tags'))).toContain('Filtered');
      await page.click('#search-filters > summary');
      await page.check('#filter-hide-filtered');
      await Promise.all([page.waitForURL(/hideFiltered=true/), page.click('#filters-apply')]);
      await page.locator('.empty-list').waitFor();
      await goToView('filtered');
      await row(page, subject).waitFor();
      await open(subject);
      await page.click('#more-menu > summary');
      await page.click('#unblock-btn');
      await waitForText(flash(), `${sender} is unblocked`);
      await eventually(async () => (await row(page, subject).count()) === 0, 10_000, 'unblocked thread left Filtered');
    });

    it('marks as spam and back', async () => {
      const subject = unique('You won a prize');
      await ui.receive({ subject });
      await goToView('unassigned');
      await open(subject);
      await page.click('#more-menu > summary');
      await page.click('#spam-btn');
      await waitForText(flash(), 'Marked as spam');
      await goToView('spam');
      await open(subject);
      await page.click('#more-menu > summary');
      await page.click('#not-spam-btn');
      await waitForText(flash(), 'Marked as not spam');
    });

    it('composes an email from the inbox (it waits in Sent) and forwards it outside the company', async () => {
      const subject = unique('Your quote');
      await page.click('#compose-btn');
      await page.locator('#compose-dialog[open]').waitFor();
      await page.fill('#compose-to', 'buyer@client.test');
      await page.fill('#compose-subject', subject);
      await page.fill('#compose-text', 'Here is the quote you asked for.');
      await Promise.all([page.waitForURL(/view=sent/), page.click('#compose-send')]);
      await page.waitForSelector('#app[data-live="on"]');
      await waitForText(page.locator('#thread-subject'), subject);
      await row(page, subject).waitFor();
      await waitForText(page.locator('#timeline .msg-out'), 'Here is the quote you asked for.');
      await page.click('#more-menu > summary');
      await page.click('#forward-btn');
      await page.locator('#forward-dialog[open]').waitFor();
      await page.fill('#forward-to', 'accountant@partner.test');
      await page.fill('#forward-note', 'FYI, the quote we sent.');
      await page.click('#forward-send');
      await waitForText(flash(), 'Forwarded to accountant@partner.test');
      const conversationId = new URL(page.url()).searchParams.get('conversation');
      const history = (await ui.api('GET', `/api/conversations/${conversationId}/history`)).body.events.map((e: { type: string }) => e.type);
      expect(history).toContain('ConversationForwarded');
    });

    it('offers only what the channel declares: no transcript and no forward for an API conversation', async () => {
      const subject = unique('Via the API');
      await ui.receive({ subject });
      await goToView('unassigned');
      await open(subject);
      await page.click('#more-menu > summary');
      await page.locator('#more-menu .menu-pop #trash-btn').waitFor();
      expect(await page.locator('#more-menu .menu-pop button', { hasText: 'Send transcript' }).count()).toBe(0);
      expect(await page.locator('#more-menu .menu-pop button', { hasText: 'Forward' }).count()).toBe(0);
      expect(await page.locator('#reply-channel').count()).toBe(0);
      await page.keyboard.press('Escape');
    });

    it('moves through the list with j and k, and shows the shortcuts with ?', async () => {
      const subjects = [unique('Keyboard A'), unique('Keyboard B')];
      for (const subject of subjects) await ui.receive({ subject });
      await goToView('unassigned');
      await row(page, subjects[1]).waitFor();
      await page.locator('#list-title').click();
      await page.keyboard.press('j');
      await waitForText(page.locator('#thread-subject'), subjects[1]); // newest first
      await page.keyboard.press('j');
      await waitForText(page.locator('#thread-subject'), subjects[0]);
      await eventually(async () => (await row(page, subjects[0]).getAttribute('class'))?.includes('is-active'), 5_000, 'row marked active');
      await page.keyboard.press('k');
      await waitForText(page.locator('#thread-subject'), subjects[1]);
      expect(page.url()).toContain('conversation=');
      await page.keyboard.press('?');
      await page.locator('#help-dialog[open]').waitFor();
      expect(await textOf(page.locator('#help-dialog'))).toContain('Next / previous conversation');
      await page.keyboard.press('Escape');
      await eventually(async () => (await page.locator('#help-dialog[open]').count()) === 0, 5_000, 'help closed');
    });

    it('collapses and expands both side panels, and remembers it', async () => {
      const width = (selector: string) => page.locator(selector).evaluate((el) => el.getBoundingClientRect().width);
      expect(await width('#nav')).toBeGreaterThan(150);
      await page.click('#nav [data-toggle-pane="nav"]');
      await page.click('#sidebar [data-toggle-pane="side"]');
      expect(await width('#nav')).toBeLessThan(60);
      expect(await width('#sidebar')).toBeLessThan(60);
      await page.reload();
      expect(await width('#nav')).toBeLessThan(60);
      await page.click('#nav [data-toggle-pane="nav"]');
      await page.click('#sidebar [data-toggle-pane="side"]');
      expect(await width('#nav')).toBeGreaterThan(150);
      expect(await width('#sidebar')).toBeGreaterThan(150);
    });

    it('switches availability between available and away', async () => {
      await page.click('#availability-toggle');
      await waitForText(page.locator('#availability-toggle'), 'Away');
      expect((await ui.api('GET', '/api/me')).body.availability).toBe('away');
      await page.click('#availability-toggle');
      await waitForText(page.locator('#availability-toggle'), 'Available');
      expect((await ui.api('GET', '/api/me')).body.availability).toBe('available');
    });

    it('saves a search as a custom view that lists with a live count', async () => {
      const word = `quokka${process.pid}${++run}`;
      await ui.receive({ subject: unique(`Quokka ${word} one`) });
      await page.goto(`${ui.baseUrl}/inbox?search=1&q=${word}`);
      await page.fill('#save-view-name', `Quokkas ${run}`);
      await Promise.all([page.waitForURL(/view=[0-9a-f-]{36}/), page.press('#save-view-name', 'Enter')]);
      const viewId = new URL(page.url()).searchParams.get('view')!;
      await page.waitForSelector('#app[data-live="on"]');
      expect(await count(page, viewId)).toBe(1);
      await ui.receive({ subject: unique(`Quokka ${word} two`) });
      await eventually(async () => (await count(page, viewId)) === 2, 10_000, 'custom view count');
    });

    it('opens the inbox settings page and comes back', async () => {
      await page.goto(`${ui.baseUrl}/inbox`);
      await Promise.all([page.waitForURL(/\/settings/), page.click('#settings-link')]);
      await waitForText(page.locator('h1'), 'Settings');
      expect(await textOf(page.locator('body'))).toContain('Grace Hopper');
      await Promise.all([page.waitForURL(/\/inbox/), page.click('#back-to-inbox')]);
    });

    it('switches between inboxes; each shows its own conversations, live', async () => {
      const sales = (await ui.api('POST', '/api/inboxes', { name: 'Sales' })).body;
      const first = unique('Sales lead');
      await ui.receive({ subject: first, inboxId: sales.id });
      await page.goto(`${ui.baseUrl}/inbox?view=all-open`);
      await page.waitForSelector('#app[data-live="on"]');
      expect(await row(page, first).count()).toBe(0);
      await Promise.all([page.waitForURL(new RegExp(`inbox=${sales.id}`)), page.selectOption('#inbox-switcher', { label: 'Sales' })]);
      await page.waitForSelector('#app[data-live="on"]');
      await row(page, first).waitFor();
      const second = unique('Another sales lead');
      await ui.receive({ subject: second, inboxId: sales.id });
      await row(page, second).waitFor();
      // A message for the other inbox does not show here.
      const elsewhere = unique('Support question');
      await ui.receive({ subject: elsewhere });
      await page.waitForTimeout(500);
      expect(await row(page, elsewhere).count()).toBe(0);
      await page.selectOption('#inbox-switcher', { label: 'Support' });
      await page.waitForURL((url) => !url.search.includes(sales.id));
    });
  });
}
