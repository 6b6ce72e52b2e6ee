/*
 * Parley web UI: the little script the server-rendered pages need (CSP: script-src 'self', so
 * every line lives here). htmx does requests and swaps; this file adds live updates (server-sent
 * events), keyboard shortcuts, @mention completion, drafts, collapsible panes and menus.
 */
(function () {
  'use strict';

  var $ = function (selector, root) {
    return (root || document).querySelector(selector);
  };
  var $$ = function (selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  };
  var app = $('#app');

  // ---- texts and times in the agent's language and time zone ----------------------------------
  // The server renders both; the texts this script writes itself come in a JSON data block.
  var strings = {};
  try {
    strings = JSON.parse(($('#parley-strings') || {}).textContent || '{}');
  } catch (e) {
    /* no strings: keep the markup's */
  }
  var html = document.documentElement;
  var lang = html.getAttribute('lang') || 'en';
  var browserZone = '';
  try {
    browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch (e) {
    /* very old browser */
  }
  // The server uses the browser's zone (from this cookie) unless the agent saved one.
  if (browserZone) document.cookie = 'parley_tz=' + encodeURIComponent(browserZone) + '; Path=/; SameSite=Strict; Max-Age=31536000';
  var zone = html.hasAttribute('data-zone-saved') || !browserZone ? html.getAttribute('data-time-zone') || 'UTC' : browserZone;
  function format(date, options) {
    options.timeZone = zone;
    return new Intl.DateTimeFormat(lang, options).format(date);
  }
  function dayOf(date) {
    return format(date, { year: 'numeric', month: '2-digit', day: '2-digit' });
  }
  // Same formats as the server's (Locale.formatDate), so the first page, rendered before the zone was known, ends up right.
  function localiseTimes(root) {
    var now = new Date();
    $$('time[datetime]', root).forEach(function (el) {
      var date = new Date(el.getAttribute('datetime'));
      if (isNaN(date.getTime())) return;
      if (el.hasAttribute('data-short')) {
        var sameYear = format(date, { year: 'numeric' }) === format(now, { year: 'numeric' });
        el.textContent =
          dayOf(date) === dayOf(now)
            ? format(date, { hour: '2-digit', minute: '2-digit' })
            : format(date, sameYear ? { day: 'numeric', month: 'short' } : { day: 'numeric', month: 'short', year: 'numeric' });
      } else if (el.hasAttribute('data-long')) {
        el.textContent = format(date, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
      }
    });
  }

  // ---- panes that collapse ---------------------------------------------------------------------
  var PANES = { nav: 'nav-collapsed', side: 'side-collapsed' };
  var PANE_LABELS = { nav: ['collapseNav', 'expandNav'], side: ['collapseSide', 'expandSide'] };
  function setPane(name, collapsed, remember) {
    document.body.classList.toggle(PANES[name], collapsed);
    $$('[data-toggle-pane="' + name + '"]').forEach(function (button) {
      var label = strings[PANE_LABELS[name][collapsed ? 1 : 0]] || button.getAttribute('aria-label');
      button.setAttribute('aria-expanded', String(!collapsed));
      button.setAttribute('aria-label', label);
      button.setAttribute('title', label);
    });
    if (remember) {
      try {
        localStorage.setItem('parley.pane.' + name, collapsed ? '1' : '0');
      } catch (e) {
        /* private mode */
      }
    }
  }
  Object.keys(PANES).forEach(function (name) {
    var stored = null;
    try {
      stored = localStorage.getItem('parley.pane.' + name);
    } catch (e) {
      /* private mode */
    }
    if (stored === '1') setPane(name, true, false);
  });

  // ---- flash notices -------------------------------------------------------------------------
  var flashTimer = null;
  function armFlash() {
    var flash = $('#flash .flash');
    if (!flash) return;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(
      function () {
        flash.classList.add('is-hidden');
      },
      flash.classList.contains('flash-error') ? 12000 : 5000,
    );
  }

  // ---- clicks: panes, dialogs, menus, flash --------------------------------------------------
  document.addEventListener('click', function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var toggle = target.closest('[data-toggle-pane]');
    if (toggle) {
      var name = toggle.getAttribute('data-toggle-pane');
      setPane(name, !document.body.classList.contains(PANES[name]), true);
      return;
    }
    var opener = target.closest('[data-dialog-open]');
    if (opener && !opener.disabled) {
      var dialog = document.getElementById(opener.getAttribute('data-dialog-open'));
      if (dialog && typeof dialog.showModal === 'function') dialog.showModal();
    }
    var closer = target.closest('[data-dialog-close]');
    if (closer) {
      var open = closer.closest('dialog');
      if (open) open.close();
    }
    var reveal = target.closest('[data-reveal-side]');
    if (reveal) {
      event.preventDefault();
      setPane('side', false, true);
      var card = $('#ticket-card');
      if (card) {
        card.scrollIntoView({ block: 'nearest' });
        card.focus();
      }
    }
    if (target.closest('.flash-close')) {
      var flash = target.closest('.flash');
      if (flash) flash.classList.add('is-hidden');
    }
    // A click inside an open menu's item closes it; a click elsewhere closes every open menu.
    $$('details.menu[open]').forEach(function (menu) {
      if (!menu.contains(target) || target.closest('.menu-pop button:not(:disabled)')) menu.removeAttribute('open');
    });
    var link = target.closest('.conv-link');
    if (link) markActive(link.closest('li.conv'));
  });

  document.addEventListener('change', function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.matches('[data-navigate]')) window.location.href = target.value;
    if (target.matches('[data-sort]')) {
      var url = new URL(window.location.href);
      url.searchParams.delete('conversation');
      if (target.value === 'newest') url.searchParams.delete('sort');
      else url.searchParams.set('sort', target.value);
      window.location.href = url.pathname + url.search;
    }
    if (target.matches('.conv-check')) {
      if (target.checked) selected.add(target.value);
      else selected.delete(target.value);
      updateBulkBar();
    }
    if (target.id === 'select-all') {
      $$('.conv-check').forEach(function (box) {
        box.checked = target.checked;
        if (target.checked) selected.add(box.value);
        else selected.delete(box.value);
      });
      updateBulkBar();
    }
  });

  // ---- the list: active row, selection for bulk actions ----------------------------------------
  var selected = new Set();
  function rows() {
    return $$('#list > li.conv');
  }
  function currentConversationId() {
    var main = $('#thread-main[data-conversation-id]');
    return main ? main.getAttribute('data-conversation-id') : null;
  }
  function markActive(row) {
    rows().forEach(function (r) {
      r.classList.toggle('is-active', r === row);
    });
  }
  function syncList() {
    var current = currentConversationId();
    var present = new Set();
    rows().forEach(function (row) {
      var id = row.getAttribute('data-id');
      present.add(id);
      row.classList.toggle('is-active', id === current);
      var box = $('.conv-check', row);
      if (box) box.checked = selected.has(id);
    });
    selected.forEach(function (id) {
      if (!present.has(id)) selected.delete(id);
    });
    updateBulkBar();
  }
  function updateBulkBar() {
    var count = selected.size;
    var label = $('#bulk-count');
    if (label) label.textContent = count === 0 ? strings.selectNone : String(strings.selected).replace('{n}', count);
    $$('[data-bulk]').forEach(function (button) {
      button.disabled = count === 0;
    });
    var all = $('#select-all');
    var boxes = $$('.conv-check');
    if (all) {
      all.checked =
        boxes.length > 0 &&
        boxes.every(function (b) {
          return b.checked;
        });
      all.indeterminate = count > 0 && !all.checked;
    }
  }
  function moveInList(step) {
    var list = rows();
    if (list.length === 0) return;
    var index = list.findIndex(function (r) {
      return r.classList.contains('is-active');
    });
    var next = list[Math.max(0, Math.min(list.length - 1, index === -1 ? 0 : index + step))];
    if (!next || next.classList.contains('is-active')) return;
    var link = $('.conv-link', next);
    markActive(next);
    next.scrollIntoView({ block: 'nearest' });
    link.focus();
    link.click();
  }

  // ---- composer: tabs, drafts, Ctrl+Enter -------------------------------------------------------
  var drafts = new Map();
  var activeTab = 'reply';
  try {
    var saved = JSON.parse(sessionStorage.getItem('parley.drafts') || '[]');
    if (Array.isArray(saved))
      saved.forEach(function (entry) {
        drafts.set(entry[0], entry[1]);
      });
  } catch (e) {
    /* none */
  }
  function storeDrafts() {
    try {
      sessionStorage.setItem('parley.drafts', JSON.stringify(Array.from(drafts.entries())));
    } catch (e) {
      /* private mode */
    }
  }
  function selectTab(name, focus) {
    var reply = $('#panel-reply');
    var comment = $('#panel-comment');
    if (!reply || !comment) return false;
    activeTab = name;
    reply.hidden = name !== 'reply';
    comment.hidden = name !== 'comment';
    $$('.tabs [role="tab"]').forEach(function (tab) {
      var on = tab.getAttribute('data-tab') === name;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
    });
    // A closed reply window leaves the reply tab without a text box (only the template picker).
    var field = focus && ($('textarea', name === 'reply' ? reply : comment) || $('summary', name === 'reply' ? reply : comment));
    if (field) field.focus();
    return true;
  }
  function restoreComposer() {
    $$('form[data-draft] textarea[name="text"]').forEach(function (area) {
      var key = area.form.getAttribute('data-draft');
      if (drafts.has(key) && area.value === '') area.value = drafts.get(key);
    });
    if ($('#panel-reply')) selectTab(activeTab, false);
  }
  document.addEventListener('input', function (event) {
    var area = event.target;
    if (!(area instanceof HTMLTextAreaElement) || !area.form || !area.form.hasAttribute('data-draft')) return;
    var key = area.form.getAttribute('data-draft');
    if (area.value) drafts.set(key, area.value);
    else drafts.delete(key);
    storeDrafts();
    if (area.hasAttribute('data-mentions')) updateMentions(area);
    if (area.id === 'reply-text' && area.value) typingPing();
  });

  // ---- live activity: the agent typing, the contact typing ---------------------------------------
  // While the agent writes a reply, its channel is told (a chat widget shows "typing…"): at most
  // one ping every 2 s. Pings are best effort: a lost one only shortens the visitor's indicator.
  var lastTypingPing = { id: null, at: 0 };
  function typingPing() {
    var id = currentConversationId();
    var now = Date.now();
    if (!id || (lastTypingPing.id === id && now - lastTypingPing.at < 2000)) return;
    lastTypingPing = { id: id, at: now };
    fetch('/api/conversations/' + encodeURIComponent(id) + '/typing', {
      method: 'POST',
      headers: { 'HX-Request': 'true' },
      credentials: 'same-origin',
    }).catch(function () {
      /* offline for a moment: the next keystroke pings again */
    });
  }
  // "<contact> is typing…" under the open thread, gone ~4 s after the last notice.
  var typingTimer = null;
  function showContactTyping(notice) {
    var indicator = $('#typing-indicator');
    if (!indicator || !notice || notice.conversationId !== currentConversationId()) return;
    indicator.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () {
      var current = $('#typing-indicator');
      if (current) current.hidden = true;
    }, 4000);
  }
  document.addEventListener('click', function (event) {
    var tab = event.target instanceof Element ? event.target.closest('.tabs [role="tab"]') : null;
    if (tab) selectTab(tab.getAttribute('data-tab'), true);
  });

  // ---- @mention completion ------------------------------------------------------------------
  var mention = { area: null, start: -1, options: [], index: 0 };
  function mentionables(area) {
    try {
      return JSON.parse(area.getAttribute('data-mentions') || '[]');
    } catch (e) {
      return [];
    }
  }
  function closeMentions() {
    var list = $('#mention-list');
    if (list) {
      list.hidden = true;
      list.innerHTML = '';
    }
    if (mention.area) mention.area.setAttribute('aria-expanded', 'false');
    mention = { area: null, start: -1, options: [], index: 0 };
  }
  function updateMentions(area) {
    var before = area.value.slice(0, area.selectionStart);
    var match = /(^|[^\w@])@([\p{L}\p{N}._-]{0,64})$/u.exec(before);
    if (!match) return closeMentions();
    var query = match[2].toLowerCase();
    var options = mentionables(area)
      .filter(function (m) {
        return !query || m.handle.indexOf(query) === 0 || m.name.toLowerCase().indexOf(query) !== -1 || m.local.indexOf(query) === 0;
      })
      .slice(0, 8);
    if (options.length === 0) return closeMentions();
    mention = { area: area, start: before.length - match[2].length - 1, options: options, index: 0 };
    renderMentions();
  }
  function renderMentions() {
    var list = $('#mention-list');
    if (!list) return;
    list.innerHTML = '';
    mention.options.forEach(function (option, i) {
      var item = document.createElement('li');
      item.id = 'mention-' + i;
      item.setAttribute('role', 'option');
      item.setAttribute('aria-selected', String(i === mention.index));
      var name = document.createElement('span');
      name.textContent = option.name;
      var handle = document.createElement('span');
      handle.className = 'handle';
      handle.textContent = '@' + option.handle;
      item.appendChild(name);
      item.appendChild(handle);
      item.addEventListener('mousedown', function (event) {
        event.preventDefault();
        chooseMention(i);
      });
      list.appendChild(item);
    });
    list.hidden = false;
    mention.area.setAttribute('aria-expanded', 'true');
    mention.area.setAttribute('aria-activedescendant', 'mention-' + mention.index);
  }
  function chooseMention(i) {
    var area = mention.area;
    var option = mention.options[i];
    if (!area || !option) return;
    var caret = area.selectionStart;
    var insert = '@' + option.handle + ' ';
    area.value = area.value.slice(0, mention.start) + insert + area.value.slice(caret);
    var position = mention.start + insert.length;
    area.setSelectionRange(position, position);
    area.dispatchEvent(new Event('input', { bubbles: true }));
    closeMentions();
    area.focus();
  }

  // ---- keyboard ----------------------------------------------------------------------------
  function typing(target) {
    return target instanceof Element && target.closest('input, textarea, select, [contenteditable="true"]') !== null;
  }
  document.addEventListener('keydown', function (event) {
    var target = event.target;
    // The mention list, while open, owns the arrow keys, Enter, Tab and Escape.
    if (mention.area && target === mention.area) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        var n = mention.options.length;
        mention.index = (mention.index + (event.key === 'ArrowDown' ? 1 : n - 1)) % n;
        renderMentions();
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        chooseMention(mention.index);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        closeMentions();
        return;
      }
    }
    if (
      event.key === 'Enter' &&
      (event.ctrlKey || event.metaKey) &&
      target instanceof HTMLTextAreaElement &&
      target.form &&
      target.form.hasAttribute('data-draft')
    ) {
      event.preventDefault();
      target.form.requestSubmit();
      return;
    }
    if (event.key === 'Escape') {
      $$('details.menu[open]').forEach(function (menu) {
        menu.removeAttribute('open');
      });
      if (typing(target)) target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(target) || $('dialog[open]')) return;
    switch (event.key) {
      case 'j':
        event.preventDefault();
        moveInList(1);
        break;
      case 'k':
        event.preventDefault();
        moveInList(-1);
        break;
      case 'r':
        if (selectTab('reply', true)) event.preventDefault();
        break;
      case 'c':
        if (selectTab('comment', true)) event.preventDefault();
        break;
      case 'e': {
        var menu = $('#close-menu');
        var button = $('button#close-btn');
        if (menu) {
          event.preventDefault();
          menu.setAttribute('open', '');
          var first = $('#close-with-ticket');
          if (first) first.focus();
        } else if (button) {
          event.preventDefault();
          button.click();
        }
        break;
      }
      case '/': {
        var search = $('#search-q');
        if (search) {
          event.preventDefault();
          search.focus();
          search.select();
        }
        break;
      }
      case '?': {
        var help = $('#help-dialog');
        if (help) {
          event.preventDefault();
          help.showModal();
        }
        break;
      }
      default:
        break;
    }
  });

  // ---- htmx hooks: keep drafts, menus' open state and the selection across swaps ---------------
  var openDetails = new Set();
  var refocus = null;
  document.addEventListener('htmx:beforeSwap', function (event) {
    var detail = event.detail;
    var source = detail.requestConfig && detail.requestConfig.elt;
    // A reply or comment that went through: its draft is done.
    if (source instanceof HTMLFormElement && source.hasAttribute('data-draft') && detail.xhr.status < 300) {
      drafts.delete(source.getAttribute('data-draft'));
      storeDrafts();
    }
    var target = detail.target;
    // An action's answer that is older than the thread a live refresh already showed (a message
    // arrived in between) is not swapped over it; the thread is fetched again instead.
    if (target && target.id === 'thread-pane' && detail.shouldSwap && typeof detail.serverResponse === 'string' && !threadApplies(detail.serverResponse)) {
      detail.shouldSwap = false;
      refreshThread();
      return;
    }
    // Swaps overlap (a live refresh lands while an action's answer settles): collect, never reset.
    // (A menu whose item was clicked is already closed by then, so it stays closed.)
    if (target)
      $$('details[open][id]', target).forEach(function (d) {
        openDetails.add(d.id);
      });
    // Typing on after sending: the new composer gets the focus back.
    var focused = document.activeElement;
    if (focused && focused.id && target && target.contains(focused) && focused.closest('#composer')) refocus = focused.id;
    if (target && target.querySelector && target.querySelector('#composer') && detail.xhr.status < 300) closeMentions();
  });
  document.addEventListener('htmx:afterSwap', function () {
    // Disclosures (More views, search filters) and open menus stay open across a refresh.
    openDetails.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) details.setAttribute('open', '');
    });
    openDetails.clear();
    syncList();
  });
  document.addEventListener('htmx:afterSettle', function (event) {
    localiseTimes(event.detail.elt || document);
    restoreComposer();
    if (refocus) {
      var again = document.getElementById(refocus);
      refocus = null;
      if (again && !again.closest('[hidden]')) again.focus();
    }
    // On a phone the thread takes the list's place, hiding the row that opened it (the browser
    // drops the focus): the focus goes to the conversation's subject rather than nowhere.
    var swapped = event.detail.target;
    var subject = document.getElementById('thread-subject');
    var listPane = document.getElementById('list-pane');
    var focused = document.activeElement;
    if (swapped && swapped.id === 'thread-pane' && subject && listPane && listPane.getClientRects().length === 0 && (!focused || focused === document.body))
      subject.focus();
    syncList();
    armFlash();
  });
  document.addEventListener('htmx:oobAfterSwap', function () {
    armFlash();
  });
  document.body.addEventListener('parley:changed', function () {
    selected.clear();
    refreshNav();
    refreshList();
  });

  // ---- live updates: server-sent events ---------------------------------------------------------
  // A refresh fetches a part again and swaps it in where it is *when the answer arrives* (an
  // action's answer may have replaced it meanwhile). Of overlapping refreshes of one part only the
  // newest is applied, and a thread older than the one shown (or another conversation) never is.
  var generations = {};
  function refresh(selector) {
    var el = $(selector);
    if (!el || !window.htmx) return Promise.resolve();
    var url = el.getAttribute('data-url') || el.getAttribute('data-main-url');
    if (!url) return Promise.resolve();
    var ticket = (generations[selector] || 0) + 1;
    generations[selector] = ticket;
    return fetch(url, { headers: { 'HX-Request': 'true', 'HX-Current-URL': window.location.href }, credentials: 'same-origin' })
      .then(function (response) {
        if (response.status === 401) {
          window.location.href = response.headers.get('HX-Redirect') || '/login';
          return;
        }
        return response.text().then(function (html) {
          if (generations[selector] !== ticket || !response.ok) return;
          if (selector.indexOf('#thread-main') === 0 && !threadApplies(html, true)) return;
          var current = $(selector);
          if (!current) return;
          var open = $$('details[open][id]', current).map(function (d) {
            return d.id;
          });
          window.htmx.swap(current, html, { swapStyle: 'outerHTML' });
          open.forEach(function (id) {
            var d = document.getElementById(id);
            if (d) d.setAttribute('open', '');
          });
        });
      })
      .catch(function () {
        /* offline for a moment: the next notice or reconnect refetches */
      });
  }
  function refreshNav() {
    return refresh('#nav-views');
  }
  function refreshList() {
    // A list the agent paged through ("Load more") stays as it is; counts still update.
    if ($('#list > li.conv:nth-child(51)')) return Promise.resolve();
    return refresh('#list-body');
  }
  function refreshThread() {
    return refresh('#thread-main[data-main-url]');
  }
  /**
   * Whether an answer holding a thread may replace the one shown: not when it is the same
   * conversation at an older revision. A live refresh (sameOnly) also never switches conversation.
   */
  function threadApplies(html, sameOnly) {
    var shown = $('#thread-main[data-revision]');
    var match = /id="thread-main"[^>]*data-conversation-id="([^"]+)"[^>]*data-revision="(\d+)"/.exec(html);
    if (!shown || !match) return !sameOnly || Boolean(shown); // "gone" answers carry no revision
    if (match[1] !== shown.getAttribute('data-conversation-id')) return !sameOnly;
    return Number(match[2]) >= Number(shown.getAttribute('data-revision'));
  }

  var pending = null;
  function schedule(change) {
    if (!pending) {
      pending = { thread: false };
      setTimeout(function () {
        var work = pending;
        pending = null;
        refreshNav();
        refreshList();
        if (work.thread) refreshThread();
      }, 120);
    }
    if (!change || change.conversationId === currentConversationId()) pending.thread = true;
  }

  function connect() {
    if (!app || !window.EventSource) return;
    var url = app.getAttribute('data-events-url');
    var source = new EventSource(url);
    var everConnected = false;
    source.addEventListener('ready', function () {
      app.setAttribute('data-live', 'on');
      // After a reconnect, changes may have been missed: refetch everything shown.
      if (everConnected) schedule(null);
      // Notifications may have arrived meanwhile too: the bell refetches its count and list.
      if (everConnected && window.htmx) window.htmx.trigger(document.body, 'parley:notifications');
      everConnected = true;
    });
    source.addEventListener('change', function (event) {
      var change;
      try {
        change = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      schedule(change);
    });
    // The agent's own notifications changed (one arrived, some were read): the bell's count, and its list refetched.
    source.addEventListener('notification', function (event) {
      var notice;
      try {
        notice = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      var count = document.getElementById('notification-count');
      if (count && typeof notice.unread === 'number') {
        count.textContent = String(notice.unread);
        count.setAttribute('data-count', String(notice.unread));
        count.classList.toggle('is-zero', notice.unread === 0);
      }
      if (window.htmx) window.htmx.trigger(document.body, 'parley:notifications');
    });
    source.addEventListener('activity', function (event) {
      var notice;
      try {
        notice = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (notice.type === 'ContactTyping') showContactTyping(notice);
    });
    source.addEventListener('error', function () {
      app.setAttribute('data-live', 'off');
      // Closed for good (e.g. 401 after logout): EventSource gives up; check the session.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(function () {
          window.location.reload();
        }, 5000);
      }
    });
    window.addEventListener('pagehide', function () {
      source.close();
    });
  }

  // ---- form confirmations (settings) and logout (forget drafts) ------------------------------------------------------------------
  document.addEventListener('submit', function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.hasAttribute('data-confirm') && !window.confirm(submitter.getAttribute('data-confirm'))) {
      event.preventDefault();
      return;
    }
    if (event.target instanceof HTMLFormElement && event.target.hasAttribute('data-logout')) {
      try {
        sessionStorage.removeItem('parley.drafts');
      } catch (e) {
        /* none */
      }
    }
  });

  // ---- channel connections (settings): copy the embed code, generate a secret ------------------------------------------------------------------
  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element ? event.target.closest('[data-copy], [data-generate-secret]') : null;
    if (!button) return;
    if (button.hasAttribute('data-copy')) {
      var source = document.querySelector(button.getAttribute('data-copy'));
      if (!source) return;
      var done = function () {
        var label = button.textContent;
        button.textContent = button.getAttribute('data-copied') || label;
        setTimeout(function () {
          button.textContent = label;
        }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(source.value).then(done, function () {});
      else {
        source.select();
        if (document.execCommand('copy')) done();
      }
      return;
    }
    // A random secret (32 bytes, hex), shown once in plain text so the admin can copy it into their website's code.
    var input = document.querySelector(button.getAttribute('data-generate-secret'));
    if (!input || !window.crypto) return;
    var bytes = new Uint8Array(32);
    window.crypto.getRandomValues(bytes);
    input.value = Array.prototype.map
      .call(bytes, function (b) {
        return ('0' + b.toString(16)).slice(-2);
      })
      .join('');
    input.type = 'text';
    input.select();
  });

  // ---- start ------------------------------------------------------------------------------
  function start() {
    localiseTimes(document);
    restoreComposer();
    syncList();
    armFlash();
    connect();
    var active = $('#list > li.conv.is-active');
    if (active) active.scrollIntoView({ block: 'nearest' });
  }
  // ---- template picker: the live preview of the chosen template, its parameters filled in ------
  document.addEventListener('input', function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute('data-template-parameter')) return;
    var choice = input.closest('.template-choice');
    var preview = choice && $('.template-preview', choice);
    if (!preview) return;
    var values = {};
    $$('[data-template-parameter]', choice).forEach(function (field) {
      values[field.getAttribute('data-template-parameter')] = field.value.trim();
    });
    preview.textContent = String(preview.getAttribute('data-template-body') || '').replace(/\{\{\s*(\d+)\s*\}\}/g, function (whole, n) {
      return values[n] || '[' + n + ']';
    });
  });

  // ---- reply attachments ---------------------------------------------------------------------
  // Each chosen file is uploaded at once (its bytes as the body); the reply form then carries the
  // ids it got back (attachmentIds), one hidden input per file, removable until the reply is sent.
  document.addEventListener('change', function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.id !== 'reply-files' || !input.files) return;
    var list = $('#reply-attachments');
    var alert = $('#composer-alert');
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement('li');
      item.className = 'attach-item is-uploading';
      item.textContent = String(input.getAttribute('data-uploading-label') || '').replace('{name}', file.name);
      if (list) list.appendChild(item);
      fetch(input.getAttribute('data-upload-url') + '?filename=' + encodeURIComponent(file.name), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': file.type || 'application/octet-stream' },
        body: file,
      })
        .then(function (res) {
          return res.json().then(function (body) {
            if (!res.ok) throw new Error(Array.isArray(body.message) ? body.message.join('; ') : body.message);
            return body.attachment;
          });
        })
        .then(function (attachment) {
          item.className = 'attach-item';
          item.textContent = '';
          var name = document.createElement('span');
          name.className = 'attach-name';
          name.textContent = attachment.filename;
          var hidden = document.createElement('input');
          hidden.type = 'hidden';
          hidden.name = 'attachmentIds';
          hidden.value = attachment.id;
          var remove = document.createElement('button');
          remove.type = 'button';
          remove.className = 'icon-btn attach-remove';
          remove.textContent = '\u00d7';
          var label = String(input.getAttribute('data-remove-label') || '').replace('{name}', attachment.filename);
          remove.setAttribute('aria-label', label);
          remove.title = label;
          remove.addEventListener('click', function () {
            item.remove();
          });
          item.appendChild(name);
          item.appendChild(hidden);
          item.appendChild(remove);
        })
        .catch(function (error) {
          item.remove();
          if (alert) alert.textContent = error.message;
        });
    });
    input.value = '';
  });

  // ---- reply or reply all ------------------------------------------------------------------------
  // Reply all fills Cc with the thread's other participants (the server worked them out); Reply
  // empties it again. Cc stays editable either way: what is in it when sent is what is copied.
  document.addEventListener('change', function (event) {
    var choice = event.target;
    if (!(choice instanceof HTMLInputElement) || choice.name !== 'replyMode' || !choice.checked) return;
    var cc = $('#reply-cc');
    if (cc) cc.value = choice.getAttribute('data-cc') || '';
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
