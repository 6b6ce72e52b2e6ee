import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, eventually, focusedId, launchChromium, logIn, row, startUiApp, waitForText, type UiApp } from '../support/ui-harness';

/**
 * The layout at a laptop's width (1280 px) and a phone's (390 px), checked as geometry rather
 * than pixels: what must share a line does, what must stay uncovered is, nothing scrolls sideways,
 * and on a phone one pane shows at a time with the URL as its state.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (layout)', missing, 'chromium');
  it.skip('layout browser tests (Chromium not installed)', () => undefined);
} else {
  const LAPTOP = { width: 1280, height: 800 };
  const PHONE = { width: 390, height: 844 };
  // Longer than any pane is wide at these sizes: the header must give way without wrapping.
  const LONG_SUBJECT = 'Where is my order #1042? The blue kettle I ordered two weeks ago has still not arrived';

  type Box = { x: number; y: number; width: number; height: number };
  /** Equal within a pixel (layout rounds to half pixels); `what` names the measure when it fails. */
  const expectNear = (actual: number, expected: number, what: string) => {
    if (Math.abs(actual - expected) > 1) throw new Error(`${what}: ${actual} is not ${expected}`);
  };
  const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

  describe('Web UI in Chromium: layout at 1280 px and 390 px', () => {
    let ui: UiApp;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      ui = await startUiApp();
      // A second admin gives the team table a row with a Remove button (the admin's own row has none).
      await ui.api('POST', '/api/agents', { name: 'Grace Hopper', email: 'grace@example.com', password: 'grace-password-1', role: 'admin' });
      ids.ticketed = (
        await ui.receive({ subject: LONG_SUBJECT, from: { address: 'jane@customer.test', name: 'Jane Cooper' }, text: 'Order 1042 has not arrived.' })
      ).conversationId;
      await ui.api('POST', `/api/conversations/${ids.ticketed}/ticket`, { name: 'Kettle order 1042' });
      ids.trashed = (await ui.receive({ subject: `${LONG_SUBJECT} (trashed)`, from: { address: 'tom@customer.test', name: 'Tom Becker' } })).conversationId;
      await ui.api('POST', `/api/conversations/${ids.trashed}/trash`, {});
      ids.plain = (await ui.receive({ subject: 'Invoice address change', from: { address: 'sam@startup.test', name: 'Sam Patel' } })).conversationId;
      ids.blocked = (await ui.receive({ subject: 'You have won a holiday', from: { address: 'winner@prizes.test', name: 'Prize Team' } })).conversationId;
      await ui.api('POST', `/api/conversations/${ids.blocked}/block-sender`, {});
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    const pageAt = async (viewport: { width: number; height: number }, locale = 'en-US'): Promise<Page> => {
      const context = await browser.newContext({ viewport, locale });
      contexts.push(context);
      const page = await context.newPage();
      page.on('dialog', (dialog) => void dialog.accept());
      await logIn(page, ui.baseUrl);
      return page;
    };
    const show = async (page: Page, query: string) => {
      await page.goto(`${ui.baseUrl}/inbox?${query}`);
      await page.waitForSelector('#app[data-live="on"]');
    };
    const box = async (locator: Locator): Promise<Box> => {
      const found = await locator.boundingBox();
      if (!found) throw new Error(`${locator} is not shown`);
      return found;
    };
    /** The boxes of an element's children that take up space (hidden ones have none). */
    const shownChildren = async (parent: Locator): Promise<Box[]> => {
      const boxes: Box[] = [];
      for (const child of await parent.locator(':scope > *').all()) {
        const found = await child.boundingBox();
        if (found && found.width > 0) boxes.push(found);
      }
      return boxes;
    };
    const sidewaysOverflow = async (page: Page) =>
      page.evaluate('({ scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth })') as Promise<{
        scrollWidth: number;
        innerWidth: number;
      }>;
    const expectNoSidewaysScroll = async (page: Page) => {
      const { scrollWidth, innerWidth } = await sidewaysOverflow(page);
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    };
    /** Picks another owner: the answer brings a notice (toast). */
    const changeOwner = async (page: Page) => {
      const current = await page.locator('#owner-select').inputValue();
      const values = await page.locator('#owner-select option').evaluateAll((options) => options.map((option) => option.getAttribute('value') ?? ''));
      await page.selectOption(
        '#owner-select',
        values.find((value) => value !== current)!,
      );
      await page.locator('#flash .flash').waitFor();
    };
    const expectWithinViewport = async (page: Page, locator: Locator) => {
      const { width, height } = page.viewportSize()!;
      const b = await box(locator);
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.y).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width).toBeLessThanOrEqual(width + 0.5);
      expect(b.y + b.height).toBeLessThanOrEqual(height + 0.5);
    };

    describe('at 1280 px', () => {
      let page: Page;
      beforeAll(async () => {
        page = await pageAt(LAPTOP);
      }, 30_000);

      it.each([
        ['open with an open ticket (Close menu)', 'ticketed', 'view=all-open'],
        ['in Trash (Restore, Delete forever)', 'trashed', 'view=trash'],
      ])('the thread header of a conversation %s is one line: its parts share one top and the subject does not wrap', async (_label, key, view) => {
        await show(page, `${view}&conversation=${ids[key]}`);
        const head = page.locator('.thread-head');
        const parts = await shownChildren(head);
        expect(parts.length).toBeGreaterThanOrEqual(2);
        for (const part of parts) expect(part.y).toBeCloseTo(parts[0].y, 0);
        const actions = await shownChildren(page.locator('.thread-actions'));
        for (const action of actions) expect(action.y + action.height / 2).toBeCloseTo(actions[0].y + actions[0].height / 2, 0);
        const subject = page.locator('#thread-subject');
        const lineHeight = Number(await page.evaluate(`parseFloat(getComputedStyle(document.querySelector('#thread-subject')).lineHeight)`));
        expect((await box(subject)).height).toBeLessThan(lineHeight * 1.5);
        // The whole subject stays available where it is cut short.
        expect(await subject.getAttribute('title')).toContain(LONG_SUBJECT);
        await expectNoSidewaysScroll(page);
      });

      it('a notice (toast) does not cover the "Ctrl+Enter sends" hint', async () => {
        await show(page, `view=all-open&conversation=${ids.plain}`);
        await changeOwner(page);
        expect(overlaps(await box(page.locator('#flash .flash')), await box(page.locator('#panel-reply .hint')))).toBe(false);
        expect(overlaps(await box(page.locator('#flash .flash')), await box(page.locator('#send-reply')))).toBe(false);
      });
    });

    describe('at 390 px (a phone): one pane at a time', () => {
      let page: Page;
      beforeAll(async () => {
        page = await pageAt(PHONE);
      }, 30_000);

      it('shows the list whole; opening a conversation shows the thread within the screen; back returns to the list', async () => {
        await show(page, 'view=all-open');
        await expectWithinViewport(page, page.locator('#list-pane'));
        expect(await page.locator('#thread-pane').isVisible()).toBe(false);
        expect(await page.locator('#nav').isVisible()).toBe(false);
        await expectNoSidewaysScroll(page);

        await row(page, 'Invoice address change').locator('.conv-link').click();
        await waitForText(page.locator('#thread-subject'), 'Invoice address change');
        await eventually(async () => !(await page.locator('#list-pane').isVisible()), 5_000, 'the list gives way to the thread');
        expect(page.url()).toContain(`conversation=${ids.plain}`);
        await expectWithinViewport(page, page.locator('#thread-pane'));
        await expectWithinViewport(page, page.locator('#thread-subject'));
        await expectWithinViewport(page, page.locator('#reply-text'));
        await expectWithinViewport(page, page.locator('#send-reply'));
        await expectNoSidewaysScroll(page);
        // The link that opened it is hidden now: the focus moves to what took its place.
        expect(await focusedId(page)).toBe('thread-subject');

        await Promise.all([page.waitForURL((url) => !url.search.includes('conversation=')), page.click('#back-to-list')]);
        await page.waitForSelector('#app[data-live="on"]');
        expect(page.url()).toContain('view=all-open');
        await expectWithinViewport(page, page.locator('#list-pane'));
        expect(await page.locator('#thread-pane').isVisible()).toBe(false);
        await row(page, 'Invoice address change').waitFor();
      });

      it('a link to a conversation (the URL is the state) opens straight on the thread', async () => {
        await show(page, `view=all-open&conversation=${ids.ticketed}`);
        await expectWithinViewport(page, page.locator('#thread-pane'));
        expect(await page.locator('#list-pane').isVisible()).toBe(false);
        await expectNoSidewaysScroll(page);
      });

      it("the thread's Details button shows the contact and ticket instead of the thread; back returns to the thread", async () => {
        await show(page, `view=all-open&conversation=${ids.ticketed}`);
        expect(await page.locator('#sidebar').isVisible()).toBe(false);
        await expectWithinViewport(page, page.locator('#show-details'));
        await page.click('#show-details');
        await page.waitForURL(/#sidebar$/);
        await expectWithinViewport(page, page.locator('#sidebar'));
        await expectWithinViewport(page, page.locator('#contact-name'));
        await expectWithinViewport(page, page.locator('#ticket-name'));
        expect(await page.locator('#ticket-name').textContent()).toBe('Kettle order 1042');
        expect(await page.locator('#thread-pane').isVisible()).toBe(false);
        expect(await page.locator('#list-pane').isVisible()).toBe(false);
        await expectNoSidewaysScroll(page);

        await page.click('#back-to-thread');
        await page.waitForURL(/#thread-pane$/);
        await expectWithinViewport(page, page.locator('#thread-subject'));
        expect(await page.locator('#sidebar').isVisible()).toBe(false);
        expect(page.url()).toContain(`conversation=${ids.ticketed}`);
      });

      it('back from the list shows the views; choosing one shows its list', async () => {
        await show(page, 'view=all-open');
        await page.click('#back-to-views');
        await page.waitForURL(/#nav$/);
        await expectWithinViewport(page, page.locator('#nav'));
        expect(await page.locator('#list-pane').isVisible()).toBe(false);
        await expectWithinViewport(page, page.locator('a.view-link[data-view="unassigned"]'));
        await expectNoSidewaysScroll(page);
        await Promise.all([page.waitForURL(/view=unassigned/), page.click('a.view-link[data-view="unassigned"]')]);
        await page.waitForSelector('#app[data-live="on"]');
        await expectWithinViewport(page, page.locator('#list-pane'));
        expect(await page.locator('#nav').isVisible()).toBe(false);
      });

      it('a notice (toast) does not cover the "Ctrl+Enter sends" hint or the send button', async () => {
        await show(page, `view=all-open&conversation=${ids.plain}`);
        await changeOwner(page);
        await expectWithinViewport(page, page.locator('#flash .flash'));
        await expectWithinViewport(page, page.locator('#panel-reply .hint'));
        expect(overlaps(await box(page.locator('#flash .flash')), await box(page.locator('#panel-reply .hint')))).toBe(false);
        expect(overlaps(await box(page.locator('#flash .flash')), await box(page.locator('#send-reply')))).toBe(false);
      });
    });

    it('at 800 px (a tablet) the Details button opens the details over the thread; at 1280 px they are beside it and the button is not shown', async () => {
      const tablet = await pageAt({ width: 800, height: 900 });
      await show(tablet, `view=all-open&conversation=${ids.ticketed}`);
      expect(await tablet.locator('#sidebar').isVisible()).toBe(false);
      await tablet.click('#show-details');
      await tablet.waitForURL(/#sidebar$/);
      await expectWithinViewport(tablet, tablet.locator('#ticket-name'));
      await tablet.click('#back-to-thread');
      await eventually(async () => !(await tablet.locator('#sidebar').isVisible()), 5_000, 'the details close');
      const laptop = await pageAt(LAPTOP);
      await show(laptop, `view=all-open&conversation=${ids.ticketed}`);
      expect(await laptop.locator('#show-details').isVisible()).toBe(false);
      expect(await laptop.locator('#back-to-thread').isVisible()).toBe(false);
      await expectWithinViewport(laptop, laptop.locator('#ticket-name'));
    }, 90_000);

    it("at 800 px (a tablet: rail, list and thread) the list's back button opens the views over the list", async () => {
      const page = await pageAt({ width: 800, height: 900 });
      await show(page, `view=all-open&conversation=${ids.plain}`);
      await expectWithinViewport(page, page.locator('#list-pane'));
      await expectWithinViewport(page, page.locator('#thread-pane'));
      expect(await page.locator('a.view-link[data-view="unassigned"]').isVisible()).toBe(false);
      await page.click('#back-to-views');
      await page.waitForURL(/#nav$/);
      await expectWithinViewport(page, page.locator('a.view-link[data-view="unassigned"]'));
      await Promise.all([page.waitForURL(/view=unassigned/), page.click('a.view-link[data-view="unassigned"]')]);
      await page.waitForSelector('#app[data-live="on"]');
      expect(await page.locator('a.view-link[data-view="unassigned"]').isVisible()).toBe(false);
      await expectNoSidewaysScroll(page);
    });

    describe.each([
      ['1280 px', LAPTOP],
      ['390 px', PHONE],
    ])('at %s', (_label, viewport) => {
      let page: Page;
      beforeAll(async () => {
        page = await pageAt(viewport);
      }, 30_000);

      it.each(['en-US', 'nl-NL'])('the search field shows its whole placeholder (browser language %s)', async (locale) => {
        const page = await pageAt(viewport, locale);
        await show(page, 'view=all-open');
        expect(await page.getAttribute('html', 'lang')).toBe(locale.slice(0, 2));
        // The placeholder typed in as the value: the field's scroll width then measures its text. (As a
        // plain text field of the same size for the moment: a search field with a value grows a clear
        // button the placeholder never shares the field with.)
        const fits = (await page.evaluate(`(() => {
          const input = document.querySelector('#search-q');
          const before = input.value;
          const style = getComputedStyle(input);
          for (const name of ['width', 'padding-left', 'padding-right']) input.style.setProperty(name, style.getPropertyValue(name));
          input.type = 'text';
          input.value = input.placeholder;
          const result = { placeholder: input.placeholder, scrollWidth: input.scrollWidth, clientWidth: input.clientWidth };
          input.value = before;
          input.type = 'search';
          input.removeAttribute('style');
          return result;
        })()`)) as { placeholder: string; scrollWidth: number; clientWidth: number };
        expect(fits.placeholder.length).toBeGreaterThan(10);
        expect(fits.scrollWidth).toBeLessThanOrEqual(fits.clientWidth);
        await expectWithinViewport(page, page.locator('#search-submit'));
      });

      it('the settings tables line up: every body cell starts where its column header does', async () => {
        await page.goto(`${ui.baseUrl}/settings`);
        const tables = page.locator('table.table');
        expect(await tables.count()).toBeGreaterThanOrEqual(2); // the team and the blocked senders at least
        for (const table of await tables.all()) {
          const headers = await table.locator('thead th').all();
          const rows = await table.locator('tbody tr').all();
          expect(rows.length).toBeGreaterThan(0);
          for (const bodyRow of rows) {
            const cells = await bodyRow.locator(':scope > td').all();
            expect(cells.length).toBe(headers.length);
            const first = await box(cells[0]);
            for (const [i, cell] of cells.entries()) {
              const head = await box(headers[i]);
              const body = await box(cell);
              expectNear(body.x, head.x, `column ${i + 1}: body cell x against its header's`);
              expectNear(body.width, head.width, `column ${i + 1}: body cell width against its header's`);
              // ...and each cell fills its row (a cell that is not a table cell ends short of it).
              expectNear(body.y, first.y, `column ${i + 1}: top against the row's`);
              expectNear(body.height, first.height, `column ${i + 1}: height against the row's`);
            }
          }
        }
        await expect(page.locator('#settings-error').count()).resolves.toBe(0);
        await expectNoSidewaysScroll(page);
      });
    });
  });
}
