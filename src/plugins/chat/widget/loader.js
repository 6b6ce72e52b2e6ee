/*
 * Parley chat loader (GET /channels/chat/widget.js; docs/chat.md has the embed snippet): a launcher
 * button, and the chat in an iframe from Parley's origin. postMessage, origins checked, carries the
 * website's identity (window.parleyChat) in; close and the unread count out; and the session token
 * both ways when the browser refuses the frame storage of its own. On pages we don't control: one
 * guard global, styles through the CSSOM (allowed by a strict style-src), a shadow root.
 */
/* global window, document, navigator, localStorage, location, URL */
(() => {
  'use strict';
  const script = document.currentScript || document.querySelector('script[data-parley-chat]');
  const cid = script && script.getAttribute('data-parley-chat');
  if (!cid || window['parleyChat:' + cid]) return;
  window['parleyChat:' + cid] = true;

  const src = new URL(script.src, location.href);
  const parley = src.origin;
  const base = src.href.replace(/widget\.js([?#].*)?$/, '');
  const lang = /^nl\b/i.test(navigator.language || '') ? 'nl' : 'en';
  // openChat, closeChat, title and unreadCount of the plugin's i18n.ts (a test compares them).
  const words = { en: ['Open chat', 'Close chat', 'Chat', '{{count}} new'], nl: ['Chat openen', 'Chat sluiten', 'Chat', '{{count}} nieuw'] }[lang];
  // On the website's origin: that the visitor chatted here before, and the token if the frame can't keep it.
  const memoryKey = 'parley-chat:' + cid;
  const tokenKey = 'parley-chat-token:' + cid;
  const stored = (key) => {
    try {
      return localStorage.getItem(key) || '';
    } catch {
      return '';
    }
  };
  const store = (key, value) => {
    try {
      if (value) localStorage.setItem(key, value);
      else localStorage.removeItem(key);
    } catch {
      /* storage refused: the chat lasts as long as the page */
    }
  };
  let used = !!stored(memoryKey);

  const host = document.createElement('div');
  const root = host.attachShadow({ mode: 'open' });
  const style = (el, css) => Object.assign(el.style, css);
  const phone = window.matchMedia('(max-width: 480px)');

  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-expanded', 'false');
  style(button, {
    position: 'fixed',
    right: '20px',
    bottom: '20px',
    width: '56px',
    height: '56px',
    border: '0',
    borderRadius: '50%',
    background: script.getAttribute('data-color') || '#1d5fd1',
    color: '#fff',
    boxShadow: '0 4px 14px rgba(0,0,0,.25)',
    cursor: 'pointer',
    zIndex: '2147483000',
    padding: '0',
  });
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '28');
  svg.setAttribute('height', '28');
  svg.setAttribute('aria-hidden', 'true');
  const path = svg.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'path'));
  path.setAttribute('fill', 'currentColor');
  const bubble = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z';
  const cross = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z';
  const badge = document.createElement('span');
  badge.setAttribute('aria-hidden', 'true');
  style(badge, {
    position: 'absolute',
    top: '-4px',
    right: '-4px',
    minWidth: '20px',
    height: '20px',
    padding: '0 5px',
    borderRadius: '10px',
    background: '#c62828',
    color: '#fff',
    font: 'bold 12px/20px system-ui,sans-serif',
    display: 'none',
  });
  button.append(svg, badge);
  root.append(button);

  let frame = null;
  let ready = false;
  let isOpen = false;
  let unread = 0;

  function label() {
    button.setAttribute('aria-label', isOpen ? words[1] : unread ? `${words[0]} (${words[3].replace('{{count}}', unread)})` : words[0]);
    button.title = isOpen ? words[1] : words[0];
    path.setAttribute('d', isOpen ? cross : bubble);
    badge.textContent = String(unread);
    badge.style.display = unread && !isOpen ? 'block' : 'none';
  }
  function place() {
    if (!frame) return;
    const full = phone.matches;
    style(frame, {
      display: isOpen ? 'block' : 'none',
      position: 'fixed',
      right: full ? '0' : '20px',
      bottom: full ? '0' : '88px',
      width: full ? '100%' : '370px',
      height: full ? '100%' : '600px',
      maxHeight: full ? '100%' : 'calc(100% - 108px)',
      border: '0',
      borderRadius: full ? '0' : '12px',
      boxShadow: '0 8px 30px rgba(0,0,0,.25)',
      background: '#fff',
      zIndex: '2147483001',
    });
  }
  function createFrame() {
    frame = document.createElement('iframe');
    frame.title = words[2];
    frame.src = `${base}c/${encodeURIComponent(cid)}/frame?lang=${lang}&origin=${encodeURIComponent(location.origin)}`;
    place();
    root.append(frame);
  }
  function tell(message) {
    if (frame && ready) frame.contentWindow.postMessage(message, parley);
  }
  function setOpen(open, moveFocus) {
    isOpen = open;
    if (open && !frame) createFrame();
    place();
    label();
    button.setAttribute('aria-expanded', String(open));
    if (open && !used) store(memoryKey, (used = '1'));
    tell({ type: open ? 'parley:open' : 'parley:hide' });
    if (moveFocus) (open ? frame : button).focus();
  }

  button.addEventListener('click', () => setOpen(!isOpen, true));
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && isOpen) setOpen(false, true);
  });
  phone.addEventListener('change', place);
  window.addEventListener('message', (event) => {
    if (!frame || event.origin !== parley || event.source !== frame.contentWindow) return;
    const data = event.data || {};
    if (data.type === 'parley:ready') {
      ready = true;
      // Only these fields of the website's identity cross, as strings; the frame asks Parley to check them.
      const given = window.parleyChat;
      let identity = null;
      if (given && given.identifier) {
        identity = {};
        for (const key of ['identifier', 'name', 'email', 'identifierHash']) if (given[key] != null) identity[key] = String(given[key]);
      }
      tell({ type: 'parley:init', identity, open: isOpen, token: stored(tokenKey) });
    } else if (data.type === 'parley:close') {
      setOpen(false, true);
    } else if (data.type === 'parley:token') {
      store(tokenKey, typeof data.token === 'string' ? data.token : '');
    } else if (data.type === 'parley:unread') {
      unread = Math.max(0, Number(data.count) || 0);
      label();
    }
  });

  label();
  const mount = () => {
    document.body.append(host);
    // A visitor who chatted before gets the frame at once (hidden), so a reply shows on the badge.
    if (used) createFrame();
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
