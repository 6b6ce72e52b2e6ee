import { createHash, randomUUID } from 'node:crypto';
import type {
  ChannelHostConnection,
  ChannelPlugin,
  ChannelRequest,
  ChannelResponse,
  MessageField,
  PluginChannelConnection,
  PluginCounter,
} from '../channel-plugin';
import { describe, normaliseOrigin } from '../settings-checks';
import { bucketsFor, type BucketLimit, type TokenBuckets } from '../token-buckets';
import { csrfTokenValid, issueCsrfToken } from './csrf-token';
import { fill, FORMS_STRINGS, formsLanguage, type FormsLanguage, type FormsStrings } from './i18n';
import { pageHeaders, renderFormPage, renderNotice, renderThanksPage, type FieldError, type FormValues } from './page';
import { FORM_SECRETS, FORM_SETTING_FIELDS, formEmbedSnippet, formSettings, validateFormSettings, type CustomField, type FormSettings } from './settings';

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" ' +
  'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="4" y="3" width="16" height="18" rx="2"/>' +
  '<path d="M8 8h8M8 12h8M8 16h5"/></svg>';

/** The abuse limits of the public form routes (docs/forms.md "Limits"). Per instance. */
export interface FormLimits {
  /** Submissions, per client address. */
  submissionsPerIp: BucketLimit;
  /** Views of the hosted page, per client address. */
  pagesPerIp: BucketLimit;
  /** A submission's body, in bytes. */
  maxBodyBytes: number;
  /** The message, in characters. */
  maxMessageChars: number;
  /** Every other field, in characters. */
  maxFieldChars: number;
}

export const DEFAULT_FORM_LIMITS: FormLimits = {
  submissionsPerIp: { capacity: 10, perSecond: 0.1 },
  pagesPerIp: { capacity: 120, perSecond: 2 },
  maxBodyBytes: 64 * 1024,
  maxMessageChars: 20_000,
  maxFieldChars: 1_000,
};

export interface FormsPluginOptions {
  /** Milliseconds since the epoch; tests move it. */
  now?: () => number;
  limits?: Partial<FormLimits>;
}

const SUBMISSION_ID = /^[A-Za-z0-9._:-]{8,100}$/;
const EMAIL = /^[^\s@<>"(),;:]{1,200}@[^\s@<>"(),;:]{1,200}\.[^\s@<>"(),;:.]{1,60}$/;
const NUMBER = /^[-+]?\d{1,30}([.,]\d{1,30})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** What a submission may carry besides the fields themselves. */
const CONTROL_KEYS = ['submissionId', 'csrf', 'website', 'followUpOf'];
const CONNECTION_CACHE_MS = 5_000;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
};

/** A refusal decided in a handler: answered as JSON to API callers and as a page to the hosted form. */
class FormRefusal extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly outcome: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
    /** 400 for bad fields: each field's problem (the hosted page shows them beside the fields). */
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }
}

/** One field's problem: `name` as the form names it (`fields.order_number`), with what makes both messages. */
interface Problem {
  name: string;
  code: 'required' | 'email' | 'number' | 'date' | 'choice' | 'checkbox' | 'tooLong' | 'unknown' | 'type' | 'twice';
  value: unknown;
  max?: number;
  options?: string[];
  /** `type`: what the field takes (default text). */
  expected?: string;
}

/** A submission checked against its form: what goes into the conversation. */
interface Checked {
  name?: string;
  email: string;
  subject?: string;
  message: string;
  fields: MessageField[];
}

/**
 * Support forms (issue 15): each form is a channel connection of an inbox (its id is the form id),
 * with a hosted page at `/forms/:formId`, an embeddable iframe snippet, and one public submission
 * route. A submission becomes a conversation in the inbox's Forms view, from the email the
 * contact gave; agents answer by email (rule 12). Built on the public plugin interface only.
 * docs/forms.md is the guide.
 */
export function createFormsPlugin(options: FormsPluginOptions = {}): ChannelPlugin {
  const now = options.now ?? Date.now;
  const limits: FormLimits = { ...DEFAULT_FORM_LIMITS, ...options.limits };
  const submissionBuckets = bucketsFor(limits.submissionsPerIp, now);
  const pageBuckets = bucketsFor(limits.pagesPerIp, now);
  const connectionCache = new Map<string, { connection: PluginChannelConnection | null; at: number }>();
  let host: ChannelHostConnection;
  let submissions: PluginCounter | undefined;

  async function form(formId: string): Promise<{ connection: PluginChannelConnection; settings: FormSettings & { fields: CustomField[] } } | null> {
    const cached = connectionCache.get(formId);
    let connection = cached && now() - cached.at < CONNECTION_CACHE_MS ? cached.connection : undefined;
    if (connection === undefined) {
      connection = typeof formId === 'string' && formId.length <= 200 ? await host.connections.get(formId) : null;
      connectionCache.set(formId, { connection, at: now() });
      if (connectionCache.size > 10_000) connectionCache.delete(connectionCache.keys().next().value!);
    }
    return connection ? { connection, settings: formSettings(connection) } : null;
  }

  const clientIp = (request: ChannelRequest) => (typeof request.ip === 'string' && request.ip !== '' ? request.ip : 'unknown');
  const languageOf = (request: ChannelRequest) => formsLanguage(firstQuery(request, 'lang'), header(request, 'accept-language'));
  /** Where the page posts; a language chosen with `?lang=` goes along, so errors and thanks stay in it. */
  const submissionsUrl = (formId: string, request: ChannelRequest) => `/channels/forms/${encodeURIComponent(formId)}/submissions${chosenLanguage(request)}`;
  const chosenLanguage = (request: ChannelRequest) => (firstQuery(request, 'lang') === undefined ? '' : `?lang=${languageOf(request)}`);
  const pageUrl = (formId: string) => `/forms/${encodeURIComponent(formId)}`;
  const ancestorsOf = (settings: FormSettings) => (settings.allowedOrigins.length === 0 ? '*' : settings.allowedOrigins.join(' '));

  function take(buckets: TokenBuckets, request: ChannelRequest, what: string): void {
    const retryAfter = buckets.take(clientIp(request));
    if (retryAfter !== null) {
      throw new FormRefusal(
        429,
        `too many ${what} from this address; try again in ${retryAfter} s`,
        'rate_limited',
        { retryAfter },
        {
          'Retry-After': String(retryAfter),
        },
      );
    }
  }

  // ---- the hosted page -------------------------------------------------------------------------

  async function showPage(request: ChannelRequest): Promise<ChannelResponse> {
    const lang = languageOf(request);
    const s = FORMS_STRINGS[lang];
    const formId = request.params.formId;
    try {
      take(pageBuckets, request, 'page views');
    } catch (error) {
      if (error instanceof FormRefusal) {
        return {
          status: 429,
          headers: { ...pageHeaders('*'), ...error.headers },
          body: renderNotice(lang, formId, s.tooManyTitle, fill(s.tooManyText, { seconds: error.extra.retryAfter as number })),
        };
      }
      throw error;
    }
    const found = await form(formId);
    if (!found) return { status: 404, headers: pageHeaders('*'), body: renderNotice(lang, formId, s.notFoundTitle, s.notFoundText) };
    const { settings } = found;
    const headers = pageHeaders(ancestorsOf(settings));
    if (firstQuery(request, 'sent') === '1') return { status: 200, headers, body: renderThanksPage(formId, lang, settings) };
    return {
      status: 200,
      headers,
      body: renderFormPage({
        formId,
        lang,
        settings,
        action: submissionsUrl(formId, request),
        csrfToken: issueCsrfToken(formId, settings.csrfSecret, now()),
        submissionId: randomUUID(),
      }),
    };
  }

  // ---- submissions -----------------------------------------------------------------------------

  async function submit(request: ChannelRequest): Promise<ChannelResponse> {
    const type = (header(request, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    const fromPage = type === 'application/x-www-form-urlencoded';
    const lang = languageOf(request);
    const formId = request.params.formId;
    let settingsForPage: (FormSettings & { fields: CustomField[] }) | undefined;
    let values: FormValues = {};
    let cors: Record<string, string> = {};
    try {
      take(submissionBuckets, request, 'form submissions');
      const found = await form(formId);
      if (!found) throw new FormRefusal(404, `no form ${JSON.stringify(formId)} (unknown or removed)`, 'not_found');
      const { connection, settings } = found;
      settingsForPage = settings;
      const bytes = request.rawBody?.length ?? 0;
      if (bytes > limits.maxBodyBytes) {
        throw new FormRefusal(413, `the body is ${bytes} bytes; a form submission may be at most ${limits.maxBodyBytes} bytes`, 'too_large', {
          limit: limits.maxBodyBytes,
        });
      }
      const origin = header(request, 'origin');
      let raw: Record<string, unknown>;
      if (fromPage) {
        raw = parseForm(request);
        values = pageValues(raw);
        // The hosted page's own token: a cross-site form cannot have one.
        if (origin !== undefined && !isOwnOrigin(origin, request) && !originAllowed(origin, settings)) {
          throw new FormRefusal(403, `Origin: ${JSON.stringify(origin)} is not this form's page nor among its allowedOrigins`, 'forbidden');
        }
        if (!csrfTokenValid(firstValue(raw.csrf), formId, settings.csrfSecret, now())) {
          throw new FormRefusal(403, "csrf: missing, expired or not issued by this form's page; open the form again and send it from there", 'forbidden');
        }
      } else if (type === 'application/json' || type === 'text/plain') {
        raw = parseJson(request);
        if (origin !== undefined && !isOwnOrigin(origin, request)) {
          if (!originAllowed(origin, settings)) {
            throw new FormRefusal(403, `Origin: ${JSON.stringify(origin)} is not among this form's allowedOrigins`, 'forbidden');
          }
          // Answered to that website's script (CORS); a JSON body sent as text/plain needs no preflight.
          cors = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
        }
      } else {
        throw new FormRefusal(
          415,
          `send the form as application/x-www-form-urlencoded (its page) or application/json (got ${type || 'a body without Content-Type'})`,
          'invalid',
        );
      }
      const result = await accept(request, connection, settings, raw, fromPage, lang);
      if (fromPage)
        return { status: 303, headers: { Location: `${pageUrl(formId)}?sent=1${chosenLanguage(request).replace('?', '&')}`, 'Cache-Control': 'no-store' } };
      return { status: 201, headers: { 'Cache-Control': 'no-store', ...cors }, body: { submissionId: result.submissionId } };
    } catch (error) {
      if (!(error instanceof FormRefusal)) throw error;
      submissions?.inc({ outcome: error.outcome });
      if (!fromPage) {
        return {
          status: error.statusCode,
          headers: { 'Cache-Control': 'no-store', ...cors, ...error.headers },
          body: { statusCode: error.statusCode, error: REASONS[error.statusCode] ?? 'Error', message: error.message, ...error.extra },
        };
      }
      return refusalPage(request, error, formId, lang, settingsForPage, values);
    }
  }

  /** A refused post of the hosted page: the form again with what was typed and the errors, or a short page. */
  function refusalPage(
    request: ChannelRequest,
    error: FormRefusal,
    formId: string,
    lang: FormsLanguage,
    settings: (FormSettings & { fields: CustomField[] }) | undefined,
    values: FormValues,
  ): ChannelResponse {
    const s = FORMS_STRINGS[lang];
    const headers = { ...pageHeaders(settings ? ancestorsOf(settings) : '*'), ...error.headers };
    if (error.statusCode === 400 && settings && error.problems.length > 0) {
      const { problems } = error;
      return {
        status: 400,
        headers,
        body: renderFormPage({
          formId,
          lang,
          settings,
          action: submissionsUrl(formId, request),
          csrfToken: issueCsrfToken(formId, settings.csrfSecret, now()),
          // The same submission id: a corrected resubmission is still one message.
          submissionId: SUBMISSION_ID.test(values.submissionId ?? '') ? values.submissionId : randomUUID(),
          values,
          errors: problems.map((p) => ({ name: p.name, message: pageMessage(p, s) }) satisfies FieldError),
        }),
      };
    }
    const back = { href: pageUrl(formId), label: s.openForm };
    switch (error.statusCode) {
      case 404:
        return { status: 404, headers, body: renderNotice(lang, formId, s.notFoundTitle, s.notFoundText) };
      case 403:
        return { status: 403, headers, body: renderNotice(lang, formId, s.expiredTitle, s.expiredText, back) };
      case 413:
        return {
          status: 413,
          headers,
          body: renderNotice(lang, formId, s.tooLargeTitle, fill(s.tooLargeText, { limit: Math.floor(limits.maxBodyBytes / 1024) }), back),
        };
      case 429:
        return {
          status: 429,
          headers,
          body: renderNotice(lang, formId, s.tooManyTitle, fill(s.tooManyText, { seconds: String(error.extra.retryAfter) }), back),
        };
      default:
        return { status: error.statusCode, headers, body: renderNotice(lang, formId, s.expiredTitle, error.message, back) };
    }
  }

  /** Checks the submission and ingests it; a duplicate submission id answers the same. */
  async function accept(
    request: ChannelRequest,
    connection: PluginChannelConnection,
    settings: FormSettings & { fields: CustomField[] },
    raw: Record<string, unknown>,
    fromPage: boolean,
    lang: FormsLanguage,
  ): Promise<{ submissionId: string }> {
    const submissionId = submissionIdOf(raw, request, fromPage);
    const honeypot = firstValue(raw.website);
    const spam = typeof honeypot === 'string' ? honeypot.trim() !== '' : honeypot !== undefined && honeypot !== null && honeypot !== false;
    const problems: Problem[] = [];
    const checked = check(raw, settings, fromPage, problems);
    if (problems.length > 0) {
      if (spam) {
        // A bot that filled the honeypot hears "thank you" whatever it sent; what cannot be a message is not kept.
        submissions?.inc({ outcome: 'spam' });
        host.logger.debug({ formId: connection.id }, 'a form submission with a filled honeypot and invalid fields was dropped');
        return { submissionId };
      }
      const errors = problems.map((p) => ({ field: p.name, message: apiMessage(p) }));
      throw new FormRefusal(400, errors.map((e) => e.message).join('; '), 'invalid', { errors }, {}, problems);
    }
    const thread = await threadOf(raw, connection.id, checked!.email, submissionId);
    const result = await host.ingest({
      channel: 'forms',
      connectionId: connection.id,
      externalThreadId: `form:${connection.id}:${thread}`,
      externalMessageId: submissionId,
      from: { address: checked!.email, ...(checked!.name ? { name: checked!.name } : {}) },
      to: [],
      subject: checked!.subject || settings.title,
      text: checked!.message,
      ...(checked!.fields.length > 0 ? { fields: checked!.fields } : {}),
      receivedAt: new Date(now()).toISOString(),
      language: lang,
      ...(spam ? { spam: true } : {}),
    });
    if (!spam) await host.storage.set(submissionKey(connection.id, submissionId), { email: checked!.email.toLowerCase(), thread });
    submissions?.inc({ outcome: spam ? 'spam' : result.duplicate ? 'duplicate' : 'accepted' });
    return { submissionId };
  }

  /**
   * The thread a submission starts: its own id, or with `followUpOf` (JSON callers adding to an
   * earlier submission of theirs) that submission's thread, when it came from the same email.
   */
  async function threadOf(raw: Record<string, unknown>, formId: string, email: string, submissionId: string): Promise<string> {
    const followUpOf = raw.followUpOf;
    if (followUpOf === undefined || followUpOf === null || followUpOf === '') return submissionId;
    if (typeof followUpOf !== 'string' || !SUBMISSION_ID.test(followUpOf)) {
      throw new FormRefusal(400, `followUpOf: must be the submissionId of an earlier submission (got ${describe(followUpOf)})`, 'invalid');
    }
    const earlier = (await host.storage.get(submissionKey(formId, followUpOf))) as { email?: unknown; thread?: unknown } | null;
    if (!earlier || typeof earlier.thread !== 'string') {
      throw new FormRefusal(400, `followUpOf: no earlier submission ${JSON.stringify(followUpOf)} of this form`, 'invalid');
    }
    if (earlier.email !== email.toLowerCase()) {
      throw new FormRefusal(400, `followUpOf: the submission ${JSON.stringify(followUpOf)} came from another email address`, 'invalid');
    }
    return earlier.thread;
  }

  function submissionIdOf(raw: Record<string, unknown>, request: ChannelRequest, fromPage: boolean): string {
    const given = firstValue(raw.submissionId);
    if (given !== undefined && given !== null && given !== '') {
      if (typeof given !== 'string' || !SUBMISSION_ID.test(given)) {
        throw new FormRefusal(
          400,
          `submissionId: must be 8-100 letters, digits, dots, dashes, underscores or colons, unique per submission (got ${describe(given)})`,
          'invalid',
        );
      }
      return given;
    }
    const key = fromPage ? undefined : header(request, 'idempotency-key');
    if (key !== undefined) {
      if (key.length > 255) throw new FormRefusal(400, `Idempotency-Key: must be at most 255 characters (got ${key.length})`, 'invalid');
      return `idem-${createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 32)}`;
    }
    return randomUUID();
  }

  /** Checks every field against the form; fills `problems` and answers what is good. */
  function check(raw: Record<string, unknown>, settings: FormSettings & { fields: CustomField[] }, fromPage: boolean, problems: Problem[]): Checked | null {
    const known = new Set(['email', 'message', ...(settings.hideName ? [] : ['name']), ...(settings.hideSubject ? [] : ['subject'])]);
    const custom = new Map(settings.fields.map((f) => [`fields.${f.key}`, f]));
    const given = new Map<string, unknown>();
    const fieldNames = () => [...known, ...custom.keys()].join(', ');
    for (const [key, value] of Object.entries(raw)) {
      if (CONTROL_KEYS.includes(key)) continue;
      if (!fromPage && key === 'fields') {
        if (value === undefined || value === null) continue;
        if (typeof value !== 'object' || Array.isArray(value)) {
          problems.push({ name: 'fields', code: 'type', value });
          continue;
        }
        for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) given.set(`fields.${inner}`, innerValue);
        continue;
      }
      given.set(key, value);
    }
    for (const [name, value] of given) {
      if (!known.has(name) && !custom.has(name)) problems.push({ name, code: 'unknown', value, options: fieldNames().split(', ') });
      else if (Array.isArray(value)) problems.push({ name, code: fromPage ? 'twice' : 'type', value });
    }
    const str = (name: string, max: number, required: boolean): string | undefined => {
      const value = given.get(name);
      if (Array.isArray(value)) return undefined;
      if (value !== undefined && value !== null && typeof value !== 'string') {
        problems.push({ name, code: 'type', value });
        return undefined;
      }
      const text = (value ?? '').trim();
      if (text === '') {
        if (required) problems.push({ name, code: 'required', value });
        return undefined;
      }
      if (text.length > max) {
        problems.push({ name, code: 'tooLong', value: text, max });
        return undefined;
      }
      return text;
    };
    const name = settings.hideName ? undefined : str('name', limits.maxFieldChars, settings.requireName);
    const email = str('email', 320, true);
    if (email !== undefined && !EMAIL.test(email)) problems.push({ name: 'email', code: 'email', value: email });
    const subject = settings.hideSubject ? undefined : str('subject', limits.maxFieldChars, settings.requireSubject);
    const message = str('message', limits.maxMessageChars, true);
    const fields: MessageField[] = [];
    for (const [key, field] of custom) {
      const value = given.get(key);
      if (field.type === 'checkbox') {
        const ticked = value === true || (typeof value === 'string' && ['yes', 'on', 'true', '1'].includes(value.trim().toLowerCase()));
        const unticked =
          value === undefined ||
          value === null ||
          value === false ||
          (typeof value === 'string' && ['', 'no', 'off', 'false', '0'].includes(value.trim().toLowerCase()));
        if (!ticked && !unticked && !Array.isArray(value)) problems.push({ name: key, code: 'type', value, expected: 'true or false ("yes" or "no")' });
        else if (!ticked && field.required) problems.push({ name: key, code: 'checkbox', value });
        else if (!Array.isArray(value)) fields.push({ key: field.key, label: { en: field.label }, value: ticked ? 'yes' : 'no' });
        continue;
      }
      // A JSON caller may send a number field as a number.
      if (field.type === 'number' && typeof value === 'number' && Number.isFinite(value)) given.set(key, String(value));
      const text = str(key, limits.maxFieldChars, field.required);
      if (text === undefined) continue;
      if (field.type === 'email' && !EMAIL.test(text)) problems.push({ name: key, code: 'email', value: text });
      else if (field.type === 'number' && !NUMBER.test(text)) problems.push({ name: key, code: 'number', value: text });
      else if (field.type === 'date' && !validDate(text)) problems.push({ name: key, code: 'date', value: text });
      else if (field.type === 'select' && !field.options.includes(text)) problems.push({ name: key, code: 'choice', value: text, options: field.options });
      else fields.push({ key: field.key, label: { en: field.label }, value: text });
    }
    if (problems.length > 0 || email === undefined || message === undefined) return null;
    return { ...(name ? { name } : {}), email, ...(subject ? { subject } : {}), message, fields };
  }

  // ---- the plugin ------------------------------------------------------------------------------

  return {
    id: 'forms',
    displayName: 'Forms',
    icon: ICON,
    channel: 'forms',
    // No way back of its own: agents answer by email, to the address the form asked for (rule 12).
    capabilities: { reply: false, html: false, attachments: false, transcript: false, switchToEmail: true, forward: false, compose: false },
    connectionSettings: {
      secrets: FORM_SECRETS,
      fields: FORM_SETTING_FIELDS,
      validate: (settings, context) => validateFormSettings(settings, context),
      embedSnippet: (connection, context) => formEmbedSnippet(connection, context),
    },

    connect(connection) {
      host = connection;
      submissions = connection.metrics.counter(
        'submissions_total',
        'Form submissions, by outcome (accepted, duplicate, spam, invalid, forbidden, rate_limited …)',
        {
          labelNames: ['outcome'],
        },
      );
      connection.routes.get(':formId', showPage, { page: true });
      connection.routes.post(':formId/submissions', submit, { public: true, rawBody: true });
      connection.connections.onChange(({ connectionId }) => connectionCache.delete(connectionId));
    },
  };
}

/** The message an API caller reads: the field, what is wrong, what was given. */
function apiMessage(problem: Problem): string {
  const got = `(got ${describe(problem.value)})`;
  switch (problem.code) {
    case 'required':
      return `${problem.name}: is required ${got}`;
    case 'email':
      return `${problem.name}: must be an email address like "ann@example.com" ${got}`;
    case 'number':
      return `${problem.name}: must be a number like 42 or 3.5 ${got}`;
    case 'date':
      return `${problem.name}: must be a date as YYYY-MM-DD, like "2026-12-31" ${got}`;
    case 'choice':
      return `${problem.name}: must be one of ${problem.options!.map((o) => JSON.stringify(o)).join(', ')} ${got}`;
    case 'checkbox':
      return `${problem.name}: must be ticked (true or "yes") ${got}`;
    case 'tooLong':
      return `${problem.name}: must be at most ${problem.max} characters (got ${(problem.value as string).length})`;
    case 'unknown':
      return `${problem.name}: is not a field of this form (its fields: ${problem.options!.join(', ')}) ${got}`;
    case 'twice':
      return `${problem.name}: must be given once ${got}`;
    case 'type':
      return `${problem.name}: must be ${problem.expected ?? 'text'} ${got}`;
  }
}

/** The message the hosted page shows beside the field, in the visitor's language. */
function pageMessage(problem: Problem, s: FormsStrings): string {
  switch (problem.code) {
    case 'required':
      return s.errorRequired;
    case 'email':
      return s.errorEmail;
    case 'number':
      return s.errorNumber;
    case 'date':
      return s.errorDate;
    case 'choice':
      return s.errorChoice;
    case 'checkbox':
      return s.errorCheckbox;
    case 'tooLong':
      return fill(s.errorTooLong, { max: problem.max!, length: (problem.value as string).length });
    default:
      return apiMessage(problem);
  }
}

function submissionKey(formId: string, submissionId: string): string {
  return `submission:${formId}:${submissionId}`;
}

function validDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The hosted page's post, from its exact bytes (the same whether or not the host parsed it). */
function parseForm(request: ChannelRequest): Record<string, unknown> {
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of new URLSearchParams((request.rawBody ?? Buffer.alloc(0)).toString('utf8'))) {
    const existing = fields[name];
    fields[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return fields;
}

/** A JSON submission (`text/plain` too: a browser sends that cross-site without asking first). */
function parseJson(request: ChannelRequest): Record<string, unknown> {
  let body = request.body;
  if (body === undefined && request.rawBody !== undefined && request.rawBody.length > 0) {
    try {
      body = JSON.parse(request.rawBody.toString('utf8')) as unknown;
    } catch (error) {
      throw new FormRefusal(400, `the body is not valid JSON: ${(error as Error).message}`, 'invalid');
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FormRefusal(400, `the body must be a JSON object like { "email": "…", "message": "…", "fields": { … } } (got ${describe(body)})`, 'invalid');
  }
  return body as Record<string, unknown>;
}

/** What the hosted page's visitor typed, to show it again with the errors. */
function pageValues(raw: Record<string, unknown>): FormValues {
  const values: FormValues = {};
  for (const [name, value] of Object.entries(raw)) {
    const first = firstValue(value);
    if (typeof first === 'string' && name !== 'csrf' && name !== 'website') values[name] = first;
  }
  return values;
}

function originAllowed(origin: string, settings: FormSettings): boolean {
  const normal = normaliseOrigin(origin);
  return normal !== null && (settings.allowedOrigins.length === 0 || settings.allowedOrigins.includes(normal));
}

function isOwnOrigin(origin: string, request: ChannelRequest): boolean {
  const own = header(request, 'x-forwarded-host')?.split(',')[0]?.trim() || header(request, 'host');
  try {
    return own !== undefined && new URL(origin).host === own;
  } catch {
    return false;
  }
}

function firstValue(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function header(request: ChannelRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

function firstQuery(request: ChannelRequest, name: string): string | undefined {
  const value = request.query[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}
