import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, eventually, focusedId, launchChromium, logIn, screenshot, startUiApp, textOf, waitForText, type UiApp } from '../support/ui-harness';

/**
 * The record pages in Chromium (docs/web-ui.md, "Contacts, companies and tickets"): an admin adds a
 * contact property, finds a contact in the contacts list by search, fills in the property, opens
 * the contact's company, opens a ticket from the tickets list, changes its status and priority and
 * finds it under those filters; a merged contact's address leads to the contact it became; the
 * ticket page in Dutch. Every step is a real form against a real server.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (record pages)', missing, 'chromium');
  it.skip('record pages browser test (Chromium not installed)', () => undefined);
} else {
  describe('Contacts, companies and tickets pages, in Chromium', () => {
    let ui: UiApp;
    let browser: Browser;
    let page: Page;
    let inboxId: string;
    let annConversation: string;
    let ticketId: string;

    /** Reloads until `selector` shows `text`: the read models follow a change a moment later. */
    const reloadUntil = async (selector: string, text: string) => {
      let seen = '';
      await eventually(
        async () => {
          await page.reload();
          const locator = page.locator(selector);
          seen = (await locator.count()) > 0 ? await textOf(locator.first()) : `(no ${selector}) ${await textOf(page.locator('main'))}`;
          return seen.includes(text);
        },
        15_000,
        `"${text}" in ${selector}`,
      ).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}; it shows: ${JSON.stringify(seen.slice(0, 400))}`);
      });
    };

    beforeAll(async () => {
      ui = await startUiApp();
      const inboxes = await ui.api<Array<{ id: string; isDefault: boolean }>>('GET', '/api/inboxes');
      const list = Array.isArray(inboxes.body) ? inboxes.body : (inboxes.body as unknown as { inboxes: Array<{ id: string; isDefault: boolean }> }).inboxes;
      inboxId = (list.find((i) => i.isDefault) ?? list[0]).id;
      annConversation = (
        await ui.receive({
          inboxId,
          from: { address: 'ann@acme-records.example', name: 'Ann Archer' },
          subject: 'Invoice is wrong',
          text: 'Please fix invoice 42.',
        })
      ).conversationId;
      await ui.receive({ inboxId, from: { address: 'bob@bobs-records.example', name: 'Bob Baker' }, subject: 'Hello there' });
      const ticket = await ui.api<{ ticketId: string }>('POST', `/api/conversations/${annConversation}/ticket`, { name: 'Fix invoice 42' });
      if (ticket.status >= 300) throw new Error(`creating the ticket failed: ${ticket.status} ${JSON.stringify(ticket.body)}`);
      ticketId = ticket.body.ticketId;

      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
      page = await context.newPage();
      await logIn(page, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    it('adds a contact property, finds the contact by search, edits the property and opens the company', async () => {
      await page.goto(`${ui.baseUrl}/ui/settings/properties`);
      await page.selectOption('#define-object', 'contact');
      await page.fill('#define-key', 'plan');
      await page.fill('#define-label', 'Plan');
      await page.selectOption('#define-type', 'text');
      await Promise.all([page.waitForURL(/done=defined/), page.click('#define-submit')]);
      await waitForText(page.locator('#record-notice'), 'The property was added.');
      await reloadUntil('[data-property="contact.plan"]', 'plan');

      // From the inbox's navigation to the contacts list; the search leaves Bob out.
      await page.goto(`${ui.baseUrl}/inbox`);
      await Promise.all([page.waitForURL(/\/ui\/contacts$/), page.click('#contacts-link')]);
      await page.fill('#contacts-q', 'ann');
      await Promise.all([page.waitForURL(/q=ann/), page.click('#contacts-search-submit')]);
      await reloadUntil('#contacts-table', 'Ann Archer');
      expect(await textOf(page.locator('#contacts-table tbody'))).not.toContain('Bob Baker');
      const annRow = page.locator('#contacts-table tbody tr', { hasText: 'Ann Archer' });
      expect(await textOf(annRow.locator('[data-cell="address"]'))).toBe('ann@acme-records.example');

      await Promise.all([page.waitForURL(/\/ui\/contacts\/[0-9a-f-]{36}$/), annRow.locator('a').first().click()]);
      expect(await textOf(page.locator('#contact-name'))).toContain('Ann Archer');
      // The conversation, across inboxes, opens in the inbox screen.
      const conversationLink = page.locator('#contact-conversations a', { hasText: 'Invoice is wrong' });
      expect(await conversationLink.getAttribute('href')).toBe(`/inbox?inbox=${inboxId}&conversation=${annConversation}`);
      await reloadUntil('#contact-tickets', 'Fix invoice 42');

      // A number where text is fine; the property is filled in and kept.
      await page.fill('#custom-contact-plan', 'Enterprise');
      await page.fill('#contact-job-title', 'Head of finance');
      expect(await page.inputValue('#contact-emails')).toBe('ann@acme-records.example');
      await page.fill('#contact-emails', 'ann@acme-records.example, ann.archer@acme-records.example');
      await Promise.all([page.waitForURL(/done=saved/), page.click('#contact-save')]);
      await waitForText(page.locator('#record-notice'), 'Saved.');
      await eventually(
        async () => {
          await page.reload();
          return (await page.inputValue('#custom-contact-plan')) === 'Enterprise' && (await page.inputValue('#contact-job-title')) === 'Head of finance';
        },
        15_000,
        'the saved properties',
      );
      // The second address is an identity of its own now, which may be split off.
      await reloadUntil('#contact-identities', 'ann.archer@acme-records.example');
      expect(await page.locator('#contact-identities button').count()).toBe(2);

      // The timeline names who changed which properties, and the conversation that started.
      await reloadUntil('#contact-timeline', 'Properties changed');
      const changed = page.locator('#contact-timeline li[data-type="ContactPropertiesChanged"]').first();
      expect(await textOf(changed)).toContain('Plan');
      expect(await textOf(changed)).toContain('by Admin');
      expect(await page.locator('#contact-timeline li[data-type="ConversationStarted"] a').first().getAttribute('href')).toBe(
        `/inbox?inbox=${inboxId}&conversation=${annConversation}`,
      );
      await screenshot(page, 'records-contact');
      // The company made from the address's domain lists the contact.
      await reloadUntil('#contact-company-title + p', 'acme');
      await Promise.all([page.waitForURL(/\/ui\/companies\/[0-9a-f-]{36}$/), page.click('#contact-company-link')]);
      await waitForText(page.locator('#company-contacts'), 'Ann Archer');
      expect(await textOf(page.locator('#company-conversations'))).toContain('Invoice is wrong');
      await screenshot(page, 'records-company');
    }, 90_000);

    it('opens a ticket from the tickets list, changes status and priority, and finds it under those filters', async () => {
      await page.goto(`${ui.baseUrl}/ui/tickets`);
      await reloadUntil('#tickets-table', 'Fix invoice 42');
      await Promise.all([page.waitForURL(new RegExp(`/ui/tickets/${ticketId}$`)), page.click('#tickets-table a:has-text("Fix invoice 42")')]);
      expect(await textOf(page.locator('#ticket-name'))).toContain('Fix invoice 42');
      expect(await page.getAttribute('#ticket-conversation-link', 'href')).toBe(`/inbox?inbox=${inboxId}&conversation=${annConversation}`);
      expect(await textOf(page.locator('#ticket-conversation-preview'))).toContain('invoice 42');
      expect(await textOf(page.locator('#ticket-contact-link'))).toContain('Ann Archer');
      expect(await textOf(page.locator('#ticket-pipeline [aria-current="step"]'))).toBe('New');

      await page.selectOption('#ticket-status', 'waiting-on-us');
      await page.selectOption('#ticket-priority', 'high');
      const me = await ui.api<{ id: string }>('GET', '/api/me');
      await page.selectOption('#ticket-owner', me.body.id);
      await Promise.all([page.waitForURL(/done=saved/), page.click('#ticket-save')]);
      await waitForText(page.locator('#record-notice'), 'Saved.');
      await reloadUntil('#ticket-pipeline [aria-current="step"]', 'Waiting on us');
      expect(await page.inputValue('#ticket-priority')).toBe('high');
      expect(await page.inputValue('#ticket-owner')).toBe(me.body.id);
      await screenshot(page, 'records-ticket');

      // The filtered list: there under its status and priority, gone under another status.
      await Promise.all([page.waitForURL(/\/ui\/tickets/), page.click('#records-nav-tickets')]);
      await page.selectOption('#tickets-status', 'waiting-on-us');
      await page.selectOption('#tickets-priority', 'high');
      await page.selectOption('#tickets-owner', 'me');
      await Promise.all([page.waitForURL(/status=waiting-on-us/), page.click('#tickets-apply')]);
      const row = page.locator(`#tickets-table tr[data-ticket-id="${ticketId}"]`);
      expect(await textOf(row.locator('[data-cell="status"]'))).toBe('Waiting on us');
      expect(await textOf(row.locator('[data-cell="priority"]'))).toBe('High');
      await screenshot(page, 'records-tickets');
      await page.selectOption('#tickets-owner', 'none');
      await Promise.all([page.waitForURL(/owner=none/), page.click('#tickets-apply')]);
      expect(await page.locator(`#tickets-table tr[data-ticket-id="${ticketId}"]`).count()).toBe(0);
      await page.selectOption('#tickets-owner', '');
      await page.selectOption('#tickets-status', 'closed');
      await Promise.all([page.waitForURL(/status=closed/), page.click('#tickets-apply')]);
      expect(await page.locator(`#tickets-table tr[data-ticket-id="${ticketId}"]`).count()).toBe(0);

      // A refusal is shown on the page, naming the field and what was typed.
      await page.goto(`${ui.baseUrl}/ui/tickets?priority=extreme`);
      expect(await textOf(page.locator('#records-error'))).toContain('extreme');
    }, 90_000);

    it('leads from a merged contact to the one it became', async () => {
      const contacts = async (q: string) => {
        await page.goto(`${ui.baseUrl}/ui/contacts?q=${encodeURIComponent(q)}`);
        return page.locator('#contacts-table tbody tr[data-contact-id]').first().getAttribute('data-contact-id');
      };
      const bob = await eventually(() => contacts('bob'), 15_000, "Bob's contact");
      const ann = await eventually(() => contacts('ann'), 15_000, "Ann's contact");
      await page.goto(`${ui.baseUrl}/ui/contacts/${bob}`);
      await page.fill('#merge-q', 'ann');
      await Promise.all([page.waitForURL(/mergeQ=ann/), page.click('#merge-search-submit')]);
      await page.check('#merge-into-0');
      await Promise.all([page.waitForURL(new RegExp(`/ui/contacts/${ann}\\?done=merged`)), page.click('#merge-submit')]);
      await waitForText(page.locator('#record-notice'), 'merged');
      await eventually(
        async () => {
          await page.goto(`${ui.baseUrl}/ui/contacts/${bob}`);
          return page.url().endsWith(`/ui/contacts/${ann}`);
        },
        15_000,
        'the redirect to the merged-into contact',
      );
      await reloadUntil('#contact-timeline', 'Another contact merged in');
    }, 60_000);

    it('lets an admin relabel and archive a property, choose card properties and edit the free-mail domains; a refusal keeps the form', async () => {
      await page.goto(`${ui.baseUrl}/ui/settings/properties`);
      // A key already taken: the page again, the refusal naming the key, the form as typed.
      await page.selectOption('#define-object', 'contact');
      await page.fill('#define-key', 'plan');
      await page.fill('#define-label', 'Plan again');
      await page.selectOption('#define-type', 'number');
      await page.click('#define-submit');
      await waitForText(page.locator('#record-notice'), 'plan');
      expect(await page.getAttribute('#record-notice', 'role')).toBe('alert');
      expect(await focusedId(page)).toBe('record-notice');
      expect(await page.inputValue('#define-label')).toBe('Plan again');
      expect(await page.inputValue('#define-type')).toBe('number');

      await page.selectOption('#define-object', 'ticket');
      await page.fill('#define-key', 'tier');
      await page.fill('#define-label', 'Tier');
      await page.selectOption('#define-type', 'choice');
      await page.fill('#define-options', 'Gold, Silver');
      await Promise.all([page.waitForURL(/done=defined/), page.click('#define-submit')]);
      await reloadUntil('[data-property="ticket.tier"]', 'tier');
      expect(await page.inputValue('#property-ticket-tier-options')).toBe('Gold, Silver');

      await page.fill('#property-ticket-tier-label', 'Support tier');
      await Promise.all([page.waitForURL(/done=saved/), page.click('#property-ticket-tier-save')]);
      await eventually(
        async () => {
          await page.reload();
          return (await page.inputValue('#property-ticket-tier-label')) === 'Support tier';
        },
        15_000,
        'the new label',
      );

      await page.check('#card-ticket-tier');
      await Promise.all([page.waitForURL(/done=saved/), page.click('#cards-ticket-save')]);
      await eventually(
        async () => {
          await page.reload();
          return page.isChecked('#card-ticket-tier');
        },
        15_000,
        'the card property chosen',
      );

      await page.fill('#free-mail-domains', `${await page.inputValue('#free-mail-domains')}\nfree-records.example`);
      await Promise.all([page.waitForURL(/done=saved/), page.click('#free-mail-save')]);
      await eventually(
        async () => {
          await page.reload();
          return (await page.inputValue('#free-mail-domains')).split('\n').includes('free-records.example');
        },
        15_000,
        'the free-mail domain kept',
      );

      // The ticket page offers the choice; archived, the property is gone from the settings and the ticket.
      await page.goto(`${ui.baseUrl}/ui/tickets/${ticketId}`);
      expect(await page.locator('#custom-ticket-tier option').allInnerTexts()).toEqual(['—', 'Gold', 'Silver']);
      await page.goto(`${ui.baseUrl}/ui/settings/properties`);
      await Promise.all([page.waitForURL(/done=archived/), page.click('#property-ticket-tier-archive')]);
      await eventually(
        async () => {
          await page.reload();
          return (await page.locator('[data-property="ticket.tier"]').count()) === 0;
        },
        15_000,
        'the property archived',
      );
      await page.goto(`${ui.baseUrl}/ui/tickets/${ticketId}`);
      expect(await page.locator('#custom-ticket-tier').count()).toBe(0);
    }, 90_000);

    it('offers a non-admin neither the privacy actions nor the properties settings, and refuses those in their language', async () => {
      const dirk = { email: `dirk-${Date.now()}@example.com`, password: 'password-123' };
      const created = await ui.api<{ id: string }>('POST', '/api/agents', { name: 'Dirk Dekker', ...dirk, role: 'agent' });
      expect(created.status).toBe(201);
      const inbox = await ui.api<{ memberIds: string[] }>('GET', `/api/inboxes/${inboxId}`);
      const members = [...(inbox.body.memberIds ?? []), created.body.id];
      const membersSet = await ui.api('PUT', `/api/inboxes/${inboxId}/members`, { agentIds: members });
      expect([membersSet.status, membersSet.body]).toEqual([200, expect.objectContaining({})]);
      const token = await ui.t.login(dirk.email, dirk.password);
      expect((await ui.api('PUT', '/api/me/preferences', { language: 'nl' }, token)).status).toBeLessThan(300);

      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
      const dirksPage = await context.newPage();
      await logIn(dirksPage, ui.baseUrl, dirk.email, dirk.password);
      await dirksPage.goto(`${ui.baseUrl}/ui/tickets/${ticketId}`);
      await Promise.all([dirksPage.waitForURL(/\/ui\/contacts\//), dirksPage.click('#ticket-contact-link')]);
      expect(await textOf(dirksPage.locator('#contact-name'))).toContain('Ann Archer');
      expect(await dirksPage.locator('#contact-export, #contact-erase, #records-nav-properties').count()).toBe(0);

      const refused = await dirksPage.goto(`${ui.baseUrl}/ui/settings/properties`);
      expect(refused?.status()).toBe(403);
      expect(await textOf(dirksPage.locator('body'))).toContain('alleen beheerders kunnen de recordinstellingen beheren');
      await context.close();
    }, 60_000);

    it('pages through the contacts a search finds', async () => {
      for (let n = 1; n <= 27; n += 1) {
        const made = await ui.api('POST', '/api/contacts', { name: `Pager ${n}`, emails: [`pager-${n}@pager-records.example`] });
        expect(made.status).toBe(201);
      }
      await page.goto(`${ui.baseUrl}/ui/contacts?q=pager`);
      await eventually(
        async () => {
          await page.reload();
          return (await page.locator('#contacts-table tbody tr[data-contact-id]').count()) === 25;
        },
        15_000,
        'a first page of 25',
      );
      expect(await page.locator('#records-first').count()).toBe(0);
      await Promise.all([page.waitForURL(/cursor=/), page.click('#records-next')]);
      expect(await page.locator('#contacts-table tbody tr[data-contact-id]').count()).toBe(2);
      expect(await page.locator('#records-next').count()).toBe(0);
      expect(page.url()).toContain('q=pager');
      await Promise.all([page.waitForURL(/\/ui\/contacts\?q=pager$/), page.click('#records-first')]);
    }, 60_000);

    it('makes a contact from the contacts list and a company from the companies list, whose domain its contacts then join', async () => {
      await page.goto(`${ui.baseUrl}/ui/contacts`);
      await page.fill('#contact-new-name', 'Carla Cruz');
      await page.fill('#contact-new-emails', 'carla@cruz-records.example');
      await Promise.all([page.waitForURL(/\/ui\/contacts\/[0-9a-f-]{36}\?done=created$/), page.click('#contact-new-submit')]);
      await waitForText(page.locator('#record-notice'), 'Created.');
      expect(await textOf(page.locator('#contact-name'))).toBe('Carla Cruz');
      await reloadUntil('#contact-identities', 'carla@cruz-records.example');

      // The companies list is in the records' navigation of the contact page, and finds a company by name or domain.
      await Promise.all([page.waitForURL(/\/ui\/companies$/), page.click('#records-nav-companies')]);
      expect(await page.getAttribute('#records-nav-companies', 'aria-current')).toBe('page');
      await page.fill('#companies-q', 'acme-records');
      await Promise.all([page.waitForURL(/q=acme-records/), page.click('#companies-search-submit')]);
      expect(await textOf(page.locator('#companies-table tbody tr[data-company-id] th'))).toBe('Acme Records');

      await page.fill('#company-new-name', 'Globex Records');
      await page.fill('#company-new-domain', 'globex-records.example');
      await Promise.all([page.waitForURL(/\/ui\/companies\/[0-9a-f-]{36}\?done=created$/), page.click('#company-new-submit')]);
      await waitForText(page.locator('#record-notice'), 'Created.');
      expect(await textOf(page.locator('#company-name'))).toBe('Globex Records');
      const companyUrl = page.url().replace(/\?.*$/, '');
      expect(await page.getAttribute('#records-nav-companies', 'aria-current')).toBe('page');

      // A second company for the same domain is refused on the list, with the form as typed.
      await page.click('#records-nav-companies');
      await page.fill('#company-new-name', 'Globex Twin');
      await page.fill('#company-new-domain', 'Globex-Records.example');
      await page.click('#company-new-submit');
      await waitForText(page.locator('#record-notice'), 'globex-records.example');
      expect(await focusedId(page)).toBe('record-notice');
      expect(await page.inputValue('#company-new-name')).toBe('Globex Twin');
      await page.goto(`${ui.baseUrl}/ui/companies?q=globex`);
      expect(await page.locator('#companies-table tbody tr[data-company-id]').count()).toBe(1);

      // Someone writing from the domain joins the company made by hand.
      await ui.receive({ inboxId, from: { address: 'dan@globex-records.example', name: 'Dan Dune' }, subject: 'Order' });
      await page.goto(companyUrl);
      await reloadUntil('#company-contacts', 'Dan Dune');
    }, 60_000);

    it('renders the ticket page in Dutch', async () => {
      const res = await ui.api('PUT', '/api/me/preferences', { language: 'nl' });
      expect(res.status).toBeLessThan(300);
      await page.goto(`${ui.baseUrl}/ui/tickets/${ticketId}`);
      expect(await page.getAttribute('html', 'lang')).toBe('nl');
      expect(await textOf(page.locator('#ticket-properties-title'))).toBe('Eigenschappen');
      expect(await textOf(page.locator('#ticket-pipeline [aria-current="step"]'))).toBe('Wacht op ons');
      expect(await textOf(page.locator('#records-nav-contacts'))).toBe('Contacten');
      expect(await textOf(page.locator('#records-nav-companies'))).toBe('Bedrijven');
      expect(await textOf(page.locator('label[for="ticket-priority"] span'))).toBe('Prioriteit');
      await page.goto(`${ui.baseUrl}/ui/companies`);
      expect(await textOf(page.locator('#company-new-title'))).toBe('Nieuw bedrijf');
      expect(await textOf(page.locator('#company-new-submit'))).toBe('Bedrijf aanmaken');
    }, 30_000);

    it('lets an admin export a contact and erase it after a confirmation', async () => {
      expect((await ui.api('PUT', '/api/me/preferences', { language: 'en' })).status).toBeLessThan(300);
      await ui.receive({ inboxId, from: { address: 'cara@cara-records.example', name: 'Cara Cole' }, subject: 'Forget me' });
      const cara = await eventually(
        async () => {
          await page.goto(`${ui.baseUrl}/ui/contacts?q=cara`);
          return page.locator('#contacts-table tbody tr[data-contact-id]').first().getAttribute('data-contact-id');
        },
        15_000,
        "Cara's contact",
      );
      await page.goto(`${ui.baseUrl}/ui/contacts/${cara}`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#contact-export')]);
      expect(download.suggestedFilename()).toBe(`contact-${cara}.json`);
      const exported = readFileSync(await download.path(), 'utf8');
      expect(exported).toContain('cara@cara-records.example');

      // The first click only asks; unticked, the browser keeps the form from being sent.
      await Promise.all([page.waitForURL(/erase=confirm/), page.click('#contact-erase')]);
      expect(await textOf(page.locator('#erase-form .alert'))).toContain('Cara Cole');
      await page.check('#erase-confirm');
      await Promise.all([page.waitForURL(/done=erased/), page.click('#erase-submit')]);
      await waitForText(page.locator('#record-notice'), 'erased');
      await reloadUntil('#contact-page', 'Erased contact');
      expect(await textOf(page.locator('main'))).not.toContain('cara@cara-records.example');
    }, 60_000);
  });
}
