import { createHash } from 'node:crypto';
import { FORMS_STRINGS, type FormsLanguage, type FormsStrings } from './i18n';
import type { CustomField, FormSettings } from './settings';

/** The hosted page's style, inline and allowed by its hash (the page's CSP allows nothing else). */
export const PAGE_STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#fff}
main{max-width:640px;margin:0 auto;padding:24px 16px}
h1{font-size:1.5rem;margin:0 0 8px}
.intro{margin:0 0 16px;white-space:pre-line}
.field{margin:0 0 16px}
label,.label{display:block;font-weight:600;margin-bottom:4px}
.hint{font-weight:400;color:#555;font-size:.875rem}
input[type=text],input[type=email],input[type=number],input[type=date],select,textarea{width:100%;padding:8px 10px;font:inherit;border:1px solid #8a8a8e;border-radius:6px;background:#fff;color:inherit}
textarea{min-height:9em;resize:vertical}
input:focus,select:focus,textarea:focus,button:focus{outline:3px solid #0a58ca;outline-offset:1px}
.check{display:flex;gap:8px;align-items:flex-start;font-weight:400}
.check input{margin-top:5px}
[aria-invalid=true]{border-color:#b00020;border-width:2px}
.error{color:#b00020;margin:4px 0 0;font-size:.9375rem}
.summary{border:2px solid #b00020;border-radius:6px;padding:12px 16px;margin:0 0 16px}
.summary h2{font-size:1rem;margin:0 0 4px}
.summary ul{margin:0;padding-left:20px}
.summary a{color:#b00020}
button{font:inherit;font-weight:600;padding:10px 20px;border:0;border-radius:6px;background:#0a58ca;color:#fff;cursor:pointer}
button:hover{background:#084298}
.hp{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}
.notice p{white-space:pre-line}
@media (prefers-color-scheme:dark){body{background:#1c1c1e;color:#f2f2f7}input[type=text],input[type=email],input[type=number],input[type=date],select,textarea{background:#2c2c2e;border-color:#98989d}.hint{color:#c7c7cc}.error,.summary a{color:#ff8a80}.summary,[aria-invalid=true]{border-color:#ff8a80}}
`.trim();

/**
 * Tells a parent page (the embed snippet) the page's height, so the iframe fits the form; does
 * nothing when the page is not framed. The page works without it (and without any script).
 */
export const PAGE_SCRIPT =
  '(function(){if(window.parent===window)return;var id=document.documentElement.getAttribute("data-parley-form");' +
  'function tell(){window.parent.postMessage({parleyForm:id,height:document.documentElement.scrollHeight},"*")}' +
  'addEventListener("load",tell);addEventListener("resize",tell)})();';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const STYLE_HASH = hash(PAGE_STYLE);
const SCRIPT_HASH = hash(PAGE_SCRIPT);

/** The page's headers: its own style and script only, posts only to Parley, framed only by `ancestors`. */
export function pageHeaders(ancestors: string): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': [
      "default-src 'none'",
      `style-src ${STYLE_HASH}`,
      `script-src ${SCRIPT_HASH}`,
      "img-src 'self' data:",
      "form-action 'self'",
      "base-uri 'none'",
      `frame-ancestors ${ancestors}`,
    ].join('; '),
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'same-origin',
  };
}

/** What the visitor typed, by field name (`name`, `email`, `subject`, `message`, `fields.<key>`). */
export type FormValues = Record<string, string>;

/** One refused field: its name in the form and the message in the visitor's language. */
export interface FieldError {
  name: string;
  message: string;
}

export interface FormPageInput {
  formId: string;
  lang: FormsLanguage;
  settings: FormSettings & { fields: CustomField[] };
  /** Where the form posts. */
  action: string;
  csrfToken: string;
  submissionId: string;
  values?: FormValues;
  errors?: FieldError[];
}

/** The hosted form: server-rendered, accessible, no script needed. */
export function renderFormPage(input: FormPageInput): string {
  const { settings, lang } = input;
  const s = FORMS_STRINGS[lang];
  const values = input.values ?? {};
  const errors = input.errors ?? [];
  const errorOf = (name: string) => errors.find((e) => e.name === name);
  const parts: string[] = [];
  if (errors.length > 0) {
    parts.push(
      `<div class="summary" role="alert" tabindex="-1" id="errors"><h2>${esc(s.errorSummary)}</h2><ul>` +
        errors.map((e) => `<li><a href="#${esc(inputId(e.name))}">${esc(labelOf(e.name, settings, s))}: ${esc(e.message)}</a></li>`).join('') +
        '</ul></div>',
    );
  }
  const field = (name: string, label: string, required: boolean, control: (attrs: string) => string) => {
    const id = inputId(name);
    const error = errorOf(name);
    const attrs =
      `id="${esc(id)}" name="${esc(name)}"${required ? ' required aria-required="true"' : ''}` +
      (error ? ` aria-invalid="true" aria-describedby="${esc(id)}-error"` : '');
    return (
      `<div class="field"><label for="${esc(id)}">${esc(label)} <span class="hint">(${esc(required ? s.required : s.optional)})</span></label>` +
      control(attrs) +
      (error ? `<p class="error" id="${esc(id)}-error">${esc(error.message)}</p>` : '') +
      '</div>'
    );
  };
  const textInput = (type: string, name: string, max: number, autocomplete?: string) => (attrs: string) =>
    `<input type="${type}" ${attrs} maxlength="${max}"${autocomplete ? ` autocomplete="${autocomplete}"` : ''} value="${esc(values[name] ?? '')}">`;

  if (!settings.hideName) parts.push(field('name', s.nameLabel, settings.requireName, textInput('text', 'name', 1000, 'name')));
  parts.push(field('email', s.emailLabel, true, textInput('email', 'email', 320, 'email')));
  if (!settings.hideSubject) parts.push(field('subject', s.subjectLabel, settings.requireSubject, textInput('text', 'subject', 1000)));
  for (const custom of settings.fields) {
    const name = `fields.${custom.key}`;
    const value = values[name] ?? '';
    if (custom.type === 'checkbox') {
      const id = inputId(name);
      const error = errorOf(name);
      parts.push(
        `<div class="field"><label class="check" for="${esc(id)}"><input type="checkbox" id="${esc(id)}" name="${esc(name)}" value="yes"` +
          `${value === 'yes' ? ' checked' : ''}${custom.required ? ' required aria-required="true"' : ''}` +
          `${error ? ` aria-invalid="true" aria-describedby="${esc(id)}-error"` : ''}> <span>${esc(custom.label)}` +
          `${custom.required ? ` <span class="hint">(${esc(s.required)})</span>` : ''}</span></label>` +
          (error ? `<p class="error" id="${esc(id)}-error">${esc(error.message)}</p>` : '') +
          '</div>',
      );
      continue;
    }
    parts.push(
      field(name, custom.label, custom.required, (attrs) => {
        switch (custom.type) {
          case 'textarea':
            return `<textarea ${attrs} maxlength="1000">${esc(value)}</textarea>`;
          case 'select':
            return (
              `<select ${attrs}><option value="">${esc(s.choose)}</option>` +
              custom.options.map((o) => `<option${o === value ? ' selected' : ''}>${esc(o)}</option>`).join('') +
              '</select>'
            );
          case 'number':
            return `<input type="text" inputmode="decimal" ${attrs} maxlength="50" value="${esc(value)}">`;
          case 'email':
            return textInput('email', name, 320)(attrs);
          case 'date':
            return textInput('date', name, 10)(attrs);
          default:
            return textInput('text', name, 1000)(attrs);
        }
      }),
    );
  }
  parts.push(field('message', s.messageLabel, true, (attrs) => `<textarea ${attrs} maxlength="20000" rows="8">${esc(values.message ?? '')}</textarea>`));
  // The honeypot: people never see or reach it; bots that fill every field do.
  parts.push(
    `<div class="hp" aria-hidden="true"><label for="f-website">${esc(s.honeypotLabel)}</label>` +
      '<input type="text" id="f-website" name="website" tabindex="-1" autocomplete="off" value=""></div>',
  );
  const body =
    (settings.intro ? `<p class="intro">${esc(settings.intro)}</p>` : '') +
    `<form method="post" action="${esc(input.action)}" accept-charset="utf-8">` +
    `<input type="hidden" name="csrf" value="${esc(input.csrfToken)}">` +
    `<input type="hidden" name="submissionId" value="${esc(input.submissionId)}">` +
    parts.join('') +
    `<button type="submit">${esc(s.send)}</button></form>`;
  return page(lang, input.formId, settings.title, `<h1>${esc(settings.title)}</h1>${body}`);
}

/** The thank-you page after a submission. */
export function renderThanksPage(formId: string, lang: FormsLanguage, settings: FormSettings): string {
  const s = FORMS_STRINGS[lang];
  return page(
    lang,
    formId,
    settings.title,
    `<div class="notice" role="status"><h1>${esc(s.thanksTitle)}</h1><p>${esc(settings.thankYou || s.thanksDefault)}</p></div>` +
      `<p><a href="/forms/${esc(encodeURIComponent(formId))}">${esc(s.sendAnother)}</a></p>`,
  );
}

/** A short page of Parley's own words (unknown form, expired token, too many submissions). */
export function renderNotice(lang: FormsLanguage, formId: string, title: string, text: string, link?: { href: string; label: string }): string {
  return page(
    lang,
    formId,
    title,
    `<div class="notice"><h1>${esc(title)}</h1><p>${esc(text)}</p></div>` + (link ? `<p><a href="${esc(link.href)}">${esc(link.label)}</a></p>` : ''),
  );
}

function page(lang: FormsLanguage, formId: string, title: string, main: string): string {
  return (
    `<!doctype html><html lang="${lang}" data-parley-form="${esc(formId)}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${esc(title)}</title><style>${PAGE_STYLE}</style></head>` +
    `<body><main>${main}</main><script>${PAGE_SCRIPT}</script></body></html>`
  );
}

function labelOf(name: string, settings: FormSettings & { fields: CustomField[] }, s: FormsStrings): string {
  if (name === 'name') return s.nameLabel;
  if (name === 'email') return s.emailLabel;
  if (name === 'subject') return s.subjectLabel;
  if (name === 'message') return s.messageLabel;
  return settings.fields.find((f) => `fields.${f.key}` === name)?.label ?? name;
}

function inputId(name: string): string {
  return `f-${name.replace(/[^a-z0-9_-]/gi, '-')}`;
}

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
