/*
 * Parley chat: the page inside the website's iframe (frame.html). Plain browser JavaScript, no
 * build step. It talks to the visitor API next to the page (POST session/messages/contact/typing,
 * GET events as server-sent events) and to the loader on the website through postMessage.
 * Every text from the server or the visitor is shown with textContent, never as HTML.
 *
 * The strings this script needs, from the config block (src/plugins/chat/i18n.ts, nl and en):
 *   title greeting messages messageLabel messagePlaceholder send closeChat you team seen sending
 *   notSent retry agentTyping ({{name}}) someoneTyping conversationClosed startNewConversation
 *   prechatIntro nameLabel emailLabel startChat replyByEmail saveEmail emailSaved errorEmail
 *   errorTooManyMessages errorTooLong errorOffline errorReconnecting errorGeneric errorUnavailable
 *   choicesLabel talkToPerson handoffAsked (a flow bot's buttons and "Talk to a person", docs/bot-flows.md)
 *   backAt ({{when}}) closedNow
 */
/* global window, document, navigator, localStorage, location, fetch, EventSource, URLSearchParams, crypto, setTimeout, clearTimeout */
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  // The two forms asking for an email address are in the page only while shown: their fields are
  // both labelled "Email", and a hidden one must not compete with the one the visitor sees.
  const prechat = $('prechat');
  const awayForm = $('away-form');
  const spots = new Map([prechat, awayForm].map((form) => [form, document.createComment(form.id)]));
  function show(form, visible) {
    form.hidden = !visible;
    if (visible && !form.isConnected) spots.get(form).replaceWith(form);
    else if (!visible && form.isConnected) form.replaceWith(spots.get(form));
  }
  let config = {};
  try {
    config = JSON.parse($('parley-config').textContent) || {};
  } catch {
    /* no config: the keys show instead of words, which a test notices */
  }
  const strings = config.strings || {};
  const t = (key, vars) => String(strings[key] || key).replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => (vars && vars[name]) || '');
  const lang = document.documentElement.lang || 'en';

  // The visitor API sits next to this page: /channels/chat/c/<cid>/frame -> /channels/chat/c/<cid>.
  const api = location.pathname.replace(/\/frame\/?$/, '');
  const storageKey = 'parley-chat:' + decodeURIComponent(api.slice(api.lastIndexOf('/') + 1));
  const parentOrigin = config.origin || new URLSearchParams(location.search).get('origin') || '';
  const embedded = window.parent !== window;

  const MAX_LENGTH = (config.limits && config.limits.maxTextChars) || 10000;
  const TYPING_EVERY_MS = 2000;
  const TYPING_SHOWN_MS = 4000;

  const storage = frameStorage();
  let token = load();
  let identity = null;
  let visitor = {};
  let settings = {};
  let sessionReady = false;
  let open = !embedded; // the loader says when its panel is shown
  let unread = 0;
  let seenAt = '';
  let lastTypingSent = 0;
  let typingTimer = 0;
  let events = null;
  let dropped = false;
  let reconnects = 0;
  let begun = false;
  let focused = false;
  let clearedAt = ''; // "Start a new conversation" hides what came before
  const shown = new Map(); // message id -> <li>
  const queue = []; // visitor messages not yet accepted, in order

  // ---- storage of the session token ----
  // A browser that refuses storage to third-party frames (Chromium does) leaves it to the loader:
  // the token then goes to the website's page, and only to it, and comes back with parley:init.
  function frameStorage() {
    try {
      localStorage.getItem(storageKey);
      return localStorage;
    } catch {
      return null;
    }
  }
  function load() {
    return (storage && storage.getItem(storageKey)) || '';
  }
  function save(value) {
    if (storage) {
      if (value) storage.setItem(storageKey, value);
      else storage.removeItem(storageKey);
    } else if (embedded && parentOrigin) {
      window.parent.postMessage({ type: 'parley:token', token: value }, parentOrigin);
    }
  }

  // ---- talking to the loader on the website ----
  function tellParent(message) {
    if (embedded) window.parent.postMessage(message, parentOrigin || '*');
  }
  window.addEventListener('message', (event) => {
    if (event.source !== window.parent || (parentOrigin && event.origin !== parentOrigin)) return;
    const data = event.data || {};
    if (data.type === 'parley:init') {
      identity = pickIdentity(data.identity);
      if (!token && typeof data.token === 'string') token = data.token;
      if (data.open) setOpen(true);
      begin();
    } else if (data.type === 'parley:open') setOpen(true);
    else if (data.type === 'parley:hide') setOpen(false);
  });
  function pickIdentity(value) {
    if (!value || typeof value !== 'object' || !value.identifier) return null;
    const picked = {};
    for (const key of ['identifier', 'name', 'email', 'identifierHash']) if (value[key] != null) picked[key] = String(value[key]);
    return picked;
  }
  function setOpen(value) {
    open = value;
    if (!open) return;
    unread = 0;
    tellParent({ type: 'parley:unread', count: 0 });
    focusInput();
  }
  function focusInput() {
    const target = prechat.isConnected ? prechat.elements.name : $('text');
    target.focus();
  }

  // ---- requests ----
  async function call(path, body) {
    const headers = {};
    if (token) headers.authorization = 'Bearer ' + token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetch(api + '/' + path, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      return { status: 0, data: null, retryAfter: 0 }; // offline or unreachable
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      /* 204 or not JSON */
    }
    return { status: response.status, data, retryAfter: Number(response.headers.get('retry-after')) || 0 };
  }
  const ok = (result) => result.status >= 200 && result.status < 300;
  const backoff = (attempt) => Math.min(30000, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2);

  // ---- the session: who the visitor is, their conversation and its history ----
  let starting = null;
  function begin() {
    if (begun) return;
    begun = true;
    start();
  }
  function start() {
    if (!starting) starting = session(0).finally(() => (starting = null));
    return starting;
  }
  async function session(attempt) {
    // origin: the website this chat was opened on (Parley checks it against the connection's allowedOrigins).
    let result = await call('session', { token: token || undefined, identity: identity || undefined, origin: parentOrigin || undefined });
    if (result.status === 401 && token) {
      // A stale or foreign token: start over as a new visitor (the identity, if any, brings the history back).
      token = '';
      save('');
      result = await call('session', { identity: identity || undefined, origin: parentOrigin || undefined });
    }
    if (!ok(result) || !result.data) {
      if (result.status === 401 || result.status === 404 || result.status === 403) return unavailable();
      showError(result.status === 0 ? 'errorOffline' : result.status === 429 ? 'errorTooManyMessages' : 'errorGeneric');
      await sleep(result.retryAfter ? result.retryAfter * 1000 : backoff(attempt));
      return session(attempt + 1);
    }
    apply(result.data);
  }
  function apply(data) {
    showError('');
    token = data.token || token;
    save(token);
    visitor = data.visitor || {};
    settings = data.settings || {};
    for (const message of data.messages || []) addMessage(message);
    setBot(!!(data.conversation && data.conversation.heldByBot));
    if (data.seenAt) markSeen(data.seenAt);
    $('log').setAttribute('aria-busy', 'false');
    setStatus(data.conversation && data.conversation.status);
    $('greeting').querySelector('.text').textContent = settings.greeting || t('greeting');
    const askFirst = settings.preChatForm && !visitor.email && !(data.messages || []).length && !queue.length;
    show(prechat, !!askFirst);
    $('composer').hidden = !!askFirst;
    setTeam(data);
    sessionReady = true;
    if (!events) listen();
    pump();
    if (open && !focused) focusInput();
    focused = true;
  }

  // ---- live events ----
  function listen() {
    if (events) events.close();
    events = new EventSource(api + '/events?token=' + encodeURIComponent(token));
    events.onopen = () => {
      reconnects = 0;
      showConnection('');
      if (dropped) {
        dropped = false;
        start(); // what came while the stream was down
      }
    };
    events.onerror = () => {
      dropped = true;
      showConnection(navigator.onLine === false ? 'errorOffline' : 'errorReconnecting');
      // The browser retries a broken stream itself; a refused one (an error status) stays closed.
      if (events.readyState === EventSource.CLOSED) {
        events.close();
        events = null;
        setTimeout(() => {
          if (!events) start().then(() => events || listen());
        }, backoff(reconnects++));
      }
    };
    on('message', (message) => {
      addMessage(message);
      if (message.direction === 'outbound') {
        showTyping(false);
        if (!open) tellParent({ type: 'parley:unread', count: ++unread });
      }
    });
    on('typing', (data) => showTyping(true, data && data.authorName));
    on('seen', (data) => markSeen(data && data.at));
    on('status', (data) => setStatus(data && data.status));
    on('availability', (data) => setTeam(data || {}));
  }
  function on(name, handle) {
    events.addEventListener(name, (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      handle(data);
    });
  }
  window.addEventListener('online', () => {
    showConnection('');
    wake();
    if (!events && sessionReady) listen();
    pump();
  });
  window.addEventListener('offline', () => showConnection('errorOffline'));

  // ---- messages ----
  const timeFormat = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
  const dayFormat = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  function when(at) {
    const date = new Date(at);
    if (isNaN(date.getTime())) return '';
    return (date.toDateString() === new Date().toDateString() ? timeFormat : dayFormat).format(date);
  }
  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }
  function bubble(message) {
    const inbound = message.direction === 'inbound';
    const li = element('li', 'msg ' + (inbound ? 'in' : 'out'));
    li.appendChild(element('span', 'sr-only who', inbound ? t('you') + ': ' : ''));
    if (!inbound) li.querySelector('.who').textContent = (message.authorName || t('team')) + ': ';
    if (!inbound && message.authorName) li.appendChild(element('span', 'author', message.authorName)).setAttribute('aria-hidden', 'true');
    li.appendChild(element('p', 'text', message.text));
    if (!inbound && Array.isArray(message.choices) && message.choices.length) li.appendChild(choiceButtons(message.choices));
    const meta = li.appendChild(element('span', 'meta'));
    const time = meta.appendChild(element('time', '', when(message.at)));
    time.dateTime = message.at || '';
    meta.appendChild(element('span', 'state'));
    li.dataset.at = message.at || '';
    return li;
  }
  function addMessage(message) {
    if (!message || !message.id || shown.has(message.id) || (clearedAt && message.at <= clearedAt)) return;
    const pending = message.clientMessageId && queue.find((q) => q.clientMessageId === message.clientMessageId);
    if (pending) return settle(pending, message);
    const li = bubble(message);
    li.dataset.id = message.id;
    shown.set(message.id, li);
    insert(li);
    if (message.direction === 'inbound') markSeen(seenAt);
    // The visitor answered: a bot's earlier buttons are spent (not those of a reply written after it,
    // which the stream may deliver first). A reply says whether a bot still holds the chat.
    if (message.direction === 'inbound') disableChoices(message.at);
    else if (typeof message.heldByBot === 'boolean') setBot(message.heldByBot);
    else if (!message.bot) setBot(false);
  }
  function insert(li) {
    // In time order, before the messages still being sent.
    const list = $('messages');
    const before = Array.from(list.children).find((other) => other.classList.contains('pending') || (other.dataset.at && other.dataset.at > li.dataset.at));
    list.insertBefore(li, before || null);
    scrollDown();
  }
  function scrollDown() {
    const log = $('log');
    log.scrollTop = log.scrollHeight;
  }
  function markSeen(at) {
    if (!at) return;
    if (at > seenAt) seenAt = at;
    let last = null;
    for (const li of $('messages').querySelectorAll('.msg.in:not(.pending)')) {
      li.classList.remove('seen');
      if (li.dataset.at <= seenAt) last = li;
    }
    for (const state of $('messages').querySelectorAll('.msg.in:not(.pending) .state')) state.textContent = '';
    if (last) {
      last.classList.add('seen');
      last.querySelector('.state').textContent = t('seen');
    }
  }
  function showTyping(visible, name) {
    clearTimeout(typingTimer);
    const typing = $('typing');
    typing.hidden = !visible;
    typing.textContent = visible ? (name ? t('agentTyping', { name }) : t('someoneTyping')) : '';
    if (visible) {
      scrollDown();
      typingTimer = setTimeout(() => showTyping(false), TYPING_SHOWN_MS);
    }
  }

  // ---- sending: shown at once, delivered in order, retried with the same clientMessageId ----
  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }
  function send(text, choiceId) {
    disableChoices();
    const item = { clientMessageId: newId(), text, choiceId, attempt: 0, failed: false };
    item.li = bubble({ direction: 'inbound', text, at: new Date().toISOString() });
    item.li.classList.add('pending');
    item.li.querySelector('.state').textContent = t('sending');
    $('messages').appendChild(item.li);
    scrollDown();
    queue.push(item);
    $('closed').hidden = true;
    pump();
  }
  let pumping = false;
  async function pump() {
    if (pumping || !sessionReady) return;
    pumping = true;
    try {
      while (queue.length && !queue[0].failed) {
        const item = queue[0];
        const result = await call('messages', { text: item.text, clientMessageId: item.clientMessageId, choiceId: item.choiceId });
        if (ok(result) && result.data && result.data.message) {
          showError('');
          settle(item, result.data.message);
        } else if (result.status === 401 && item.attempt++ < 1) {
          sessionReady = false;
          await start();
        } else if (result.status === 413 || result.status === 400) {
          fail(item, result.status === 413 ? 'errorTooLong' : 'errorGeneric', false);
        } else if (result.status === 0 && navigator.onLine === false) {
          // Offline: the message waits for the connection, however long that takes.
          showError('errorOffline');
          await sleep(30000);
        } else if (item.attempt++ < 5) {
          // Offline, rate-limited or a server error: wait, then send the same message again.
          showError(result.status === 429 ? 'errorTooManyMessages' : result.status === 0 ? 'errorOffline' : 'errorGeneric');
          await sleep(result.status === 429 ? Math.max(1, result.retryAfter) * 1000 : backoff(item.attempt));
        } else {
          fail(item, result.status === 0 ? 'errorOffline' : 'errorGeneric', true);
        }
      }
    } finally {
      pumping = false;
    }
  }
  function settle(item, message) {
    queue.splice(queue.indexOf(item), 1);
    if (shown.has(message.id)) {
      item.li.remove(); // it came over the event stream first
    } else {
      const li = bubble(message);
      li.dataset.id = message.id;
      shown.set(message.id, li);
      item.li.remove();
      insert(li);
    }
    markSeen(seenAt);
  }
  function fail(item, errorKey, retryable) {
    showError(errorKey);
    item.failed = true;
    item.li.classList.add('failed');
    const state = item.li.querySelector('.state');
    state.textContent = t('notSent') + ' ';
    if (retryable) {
      const retry = state.appendChild(element('button', 'link', t('retry')));
      retry.type = 'button';
      retry.addEventListener('click', () => {
        item.failed = false;
        item.attempt = 0;
        item.li.classList.remove('failed');
        state.textContent = t('sending');
        pump();
      });
    } else {
      queue.splice(queue.indexOf(item), 1);
      item.li.classList.remove('pending');
      pump();
    }
  }
  // Waits that end early when the connection comes back (the 'online' event wakes them).
  const sleepers = new Set();
  const wake = () => sleepers.forEach((done) => done());
  const sleep = (ms) =>
    new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  function unavailable() {
    showError('errorUnavailable');
    $('text').disabled = true;
    $('send').disabled = true;
  }

  // ---- a flow bot's buttons, and "Talk to a person" while a bot answers (docs/bot-flows.md) ----
  function choiceButtons(choices) {
    const group = element('div', 'choices');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', t('choicesLabel'));
    for (const choice of choices) {
      if (!choice || !choice.label) continue;
      const button = group.appendChild(element('button', 'choice', String(choice.label)));
      button.type = 'button';
      button.addEventListener('click', () => {
        if (button.disabled) return;
        send(String(choice.label), typeof choice.id === 'string' ? choice.id : undefined);
        button.classList.add('picked');
        button.setAttribute('aria-pressed', 'true');
      });
    }
    return group;
  }
  /** Disables the bots' buttons; with `upTo` (a time), only those of messages written before then. */
  function disableChoices(upTo) {
    for (const group of $('messages').querySelectorAll('.choices')) {
      const li = group.closest('li');
      const at = li && li.dataset.at;
      if (upTo && at && at > upTo) continue;
      for (const button of group.querySelectorAll('button')) button.disabled = true;
    }
  }
  function setBot(holds) {
    $('bot-bar').hidden = !holds;
    $('handoff').hidden = false;
    $('handoff-done').hidden = true;
    if (!holds) disableChoices();
  }
  async function talkToPerson() {
    $('handoff').disabled = true;
    const result = await call('handoff', {});
    $('handoff').disabled = false;
    if (!ok(result)) return showError(result.status === 429 ? 'errorTooManyMessages' : result.status === 0 ? 'errorOffline' : 'errorGeneric');
    showError('');
    disableChoices();
    $('handoff').hidden = true;
    $('handoff-done').hidden = false;
  }
  function buildBotBar() {
    const bar = element('div', 'note bot-bar');
    bar.id = 'bot-bar';
    bar.hidden = true;
    const button = bar.appendChild(element('button', 'link', t('talkToPerson')));
    button.type = 'button';
    button.id = 'handoff';
    button.addEventListener('click', talkToPerson);
    const done = bar.appendChild(element('p', '', t('handoffAsked')));
    done.id = 'handoff-done';
    done.setAttribute('role', 'status');
    done.hidden = true;
    $('composer').before(bar);
  }

  // ---- notices ----
  function showError(key) {
    $('error').hidden = !key;
    $('error').textContent = key ? t(key) : '';
  }
  function showConnection(key) {
    $('conn').hidden = !key;
    $('conn').textContent = key ? t(key) : '';
  }
  function setStatus(status) {
    $('closed').hidden = status !== 'closed';
    if (status === 'closed') setBot(false);
  }
  // Outside business hours the away note says when the team is back, as a weekday and time in the inbox's zone.
  function setTeam(data) {
    const open = data.open !== false;
    const back = open ? '' : data.nextOpenAt ? reopening(data.nextOpenAt, data.timeZone) : '';
    $('away-text').textContent = open ? t('replyByEmail') : back ? t('backAt', { when: back }) : t('closedNow');
    setAvailability(data.agentsAvailable !== false && open);
  }
  function reopening(at, timeZone) {
    const format = { weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    // A week or more away, the weekday alone would read as this week's: the date goes with it.
    if (Date.parse(at) - Date.now() > 6 * 24 * 3600 * 1000) Object.assign(format, { day: 'numeric', month: 'long' });
    try {
      return new Intl.DateTimeFormat(lang, { ...format, timeZone: timeZone || 'UTC' }).format(new Date(at));
    } catch {
      return new Intl.DateTimeFormat(lang, format).format(new Date(at));
    }
  }
  function setAvailability(available) {
    $('away').hidden = available;
    const known = visitor.email;
    show(awayForm, !available && !known && !prechat.isConnected);
    $('away-done').hidden = !known;
    $('away-done').textContent = known ? t('emailSaved', { email: known }) : '';
  }
  async function saveContact(fields, form) {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(fields.email)) {
      showError('errorEmail');
      form.querySelector('[type=email]').focus();
      return false;
    }
    const result = await call('contact', fields);
    if (!ok(result)) {
      showError(result.status === 400 ? 'errorEmail' : result.status === 429 ? 'errorTooManyMessages' : result.status === 0 ? 'errorOffline' : 'errorGeneric');
      return false;
    }
    showError('');
    visitor = (result.data && result.data.visitor) || { ...visitor, ...fields };
    setAvailability($('away').hidden);
    return true;
  }

  // ---- the page ----
  function fill(id, key) {
    $(id).textContent = t(key);
  }
  function build() {
    if (!$('title').textContent.trim()) fill('title', 'title');
    $('log').setAttribute('aria-label', t('messages'));
    $('close').setAttribute('aria-label', t('closeChat'));
    $('close').title = t('closeChat');
    $('close').hidden = !embedded;
    fill('text-label', 'messageLabel');
    $('text').placeholder = t('messagePlaceholder');
    fill('send', 'send');
    fill('closed-text', 'conversationClosed');
    fill('new-conv', 'startNewConversation');
    fill('away-text', 'replyByEmail');
    fill('away-email-label', 'emailLabel');
    awayForm.elements.email.placeholder = t('emailLabel');
    fill('away-save', 'saveEmail');
    fill('prechat-intro', 'prechatIntro');
    fill('prechat-name-label', 'nameLabel');
    fill('prechat-email-label', 'emailLabel');
    fill('prechat-start', 'startChat');
    show(prechat, false);
    show(awayForm, false);
    const greeting = bubble({ direction: 'outbound', text: t('greeting') });
    greeting.id = 'greeting';
    greeting.classList.add('greeting');
    $('messages').appendChild(greeting);

    const text = $('text');
    $('composer').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = text.value.trim();
      if (!value) return text.focus();
      if (value.length > MAX_LENGTH) return showError('errorTooLong');
      send(value);
      lastTypingSent = 0; // the next message's typing shows at once
      text.value = '';
      resize();
      text.focus();
    });
    text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if ($('composer').requestSubmit) $('composer').requestSubmit();
        else $('send').click();
      }
    });
    text.addEventListener('input', () => {
      resize();
      const now = Date.now();
      if (sessionReady && text.value.trim() && now - lastTypingSent >= TYPING_EVERY_MS) {
        lastTypingSent = now;
        call('typing');
      }
    });
    function resize() {
      text.style.height = 'auto';
      text.style.height = Math.min(text.scrollHeight, 120) + 'px';
    }

    prechat.addEventListener('submit', async (event) => {
      event.preventDefault();
      const fields = { name: prechat.elements.name.value.trim() || undefined, email: prechat.elements.email.value.trim() };
      if (!(await saveContact(fields, prechat))) return;
      show(prechat, false);
      $('composer').hidden = false;
      setAvailability($('away').hidden);
      text.focus();
    });
    awayForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      await saveContact({ email: awayForm.elements.email.value.trim() }, awayForm);
    });
    $('new-conv').addEventListener('click', () => {
      // The old conversation leaves the view; the next message starts a new one.
      for (const li of $('messages').querySelectorAll('.msg:not(.greeting):not(.pending)')) {
        if (li.dataset.at > clearedAt) clearedAt = li.dataset.at;
        li.remove();
      }
      shown.clear();
      $('closed').hidden = true;
      text.focus();
    });
    buildBotBar();
    $('close').addEventListener('click', () => tellParent({ type: 'parley:close' }));
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && embedded) {
        event.preventDefault();
        tellParent({ type: 'parley:close' });
      }
    });
  }

  build();
  if (embedded) {
    // The loader answers with the website's identity (if any); without an answer, start anonymously.
    tellParent({ type: 'parley:ready' });
    setTimeout(begin, 1500);
  } else {
    begin();
  }
})();
