import { randomUUID } from 'node:crypto';
import { DEFAULT_FREE_MAIL_DOMAINS } from '../../../src/domain/record-settings/record-properties';
import { MARKER, type Call, type MatrixFixture, type Surface, type Targets } from './fixture';

/** What names something of inbox B in a probe's request; an unknown one of the same kind is its twin. */
export type Resource = 'conversation' | 'inbox' | 'view' | 'blob' | 'contact' | 'ticket';

/** The same targets with the named resource replaced by an id that exists nowhere. */
export function unknownTwin(resource: Resource, targets: Targets): Targets {
  switch (resource) {
    case 'conversation':
      return { ...targets, conversationId: randomUUID() };
    case 'inbox':
      return { ...targets, inboxId: randomUUID() };
    case 'view':
      return { ...targets, viewId: randomUUID() };
    case 'blob':
      return { ...targets, blobId: `sha256:${'0'.repeat(64)}` };
    case 'contact':
      return { ...targets, contactId: randomUUID() };
    case 'ticket':
      return { ...targets, ticketId: randomUUID() };
  }
}

export interface Probe {
  /** Names one of several requests to the same route (e.g. each action of `/ui/conversations/:id/:action`). */
  variant?: string;
  call(targets: Targets): Call;
  /**
   * Member routes: which id of the request names inbox B's resource (the outsider must get the
   * same answer as for an unknown id, 404 unless `outsider` says otherwise), or why the route
   * names no inbox at all (the outsider then is an ordinary agent and gets `allowed`).
   */
  scope?: { resource: Resource; via: string } | { unscoped: string };
  /** The answer of the caller who may: the member of B (member routes), the admin (admin routes), anyone (public routes). */
  allowed: number;
  /** For redirects: where the allowed answer leads. */
  location?: RegExp;
  /** The outsider's status where it is not the default, with the reason. */
  outsider?: { status: number; why: string };
  /** Needs an agent that admin routes may change or remove. */
  spareAgent?: boolean;
  /** Acts on inbox B's email conversation (forwarding is for email only). */
  emailConversation?: boolean;
  /** The conversation gets a ticket first (ticket routes name it as `ticketId`). */
  ticket?: boolean;
  /** Brings the probe's conversation into the state the command needs (as the admin, before any request). */
  prepare?(fixture: MatrixFixture, targets: Targets): Promise<void>;
}

export type RouteEntry =
  /** No session needed, on purpose: `why` says what for. */
  | { access: 'public'; why: string; surface: Surface; probes: Probe[] }
  /** Any agent with a session, limited to the inboxes it belongs to (admins reach every inbox). */
  | { access: 'member'; surface: Surface; probes: Probe[] }
  /** Admins only: a non-admin gets 403 (no existence is revealed by refusing an admin action). */
  | { access: 'admin'; surface: Surface; probes: Probe[]; selfService?: { why: string; probe: Probe } };

const conversationInPath = { resource: 'conversation', via: 'path :id' } as const;
const inboxInQuery = (name: string) => ({ resource: 'inbox', via: `query ${name}` }) as const;
const inboxInBody = { resource: 'inbox', via: 'body inboxId' } as const;
const viewInPath = { resource: 'view', via: 'path :viewId' } as const;

const trash = (f: MatrixFixture, t: Targets) => f.asAdmin('POST', `/api/conversations/${t.conversationId}/trash`);
const close = (f: MatrixFixture, t: Targets) => f.asAdmin('POST', `/api/conversations/${t.conversationId}/close`);
const spam = (f: MatrixFixture, t: Targets) => f.asAdmin('POST', `/api/conversations/${t.conversationId}/spam`);
const blockSender = (f: MatrixFixture, t: Targets) => f.asAdmin('POST', `/api/conversations/${t.conversationId}/block-sender`);

/** Chat connections made for the probes of the connection routes, by the probe's unique suffix. */
const chatConnections = new Map<string, string>();
/** Connects chat to inbox B (as the admin) for a probe that changes or removes a connection. */
async function chatConnection(f: MatrixFixture, t: Targets): Promise<void> {
  const name = `Chat ${t.unique}`;
  await f.asAdmin('POST', `/api/inboxes/${t.inboxId}/channels`, { type: 'chat', name, settings: { allowedOrigins: [] } });
  const listed = await f.send('admin', 'api', 'GET', { url: `/api/inboxes/${t.inboxId}/channels` });
  const connection = (JSON.parse(listed.body) as { channels: { id: string; name: string }[] }).channels.find((c) => c.name === name);
  if (!connection) throw new Error(`fixture: the chat connection "${name}" is not listed in inbox ${t.inboxId}`);
  chatConnections.set(t.unique, connection.id);
}
/** Contacts made by hand (visible to every agent) for the probes that link a conversation to another contact, by the probe's unique suffix. */
const spareContacts = new Map<string, string>();
async function spareContact(f: MatrixFixture, t: Targets): Promise<void> {
  const created = await f.send('admin', 'api', 'POST', {
    url: '/api/contacts',
    json: { name: `Other ${t.unique}`, emails: [`other-${t.unique}@example.org`] },
  });
  if (created.status !== 201) throw new Error(`fixture: POST /api/contacts answered ${created.status} ${created.body}`);
  spareContacts.set(t.unique, (JSON.parse(created.body) as { id: string }).id);
}
const connectionUrl = (t: Targets) => `/api/inboxes/${t.inboxId}/channels/${chatConnections.get(t.unique) ?? randomUUID()}`;

/** Companies (account-wide) made for the probes of the company page, by the probe's unique suffix. */
const spareCompanies = new Map<string, string>();
async function spareCompany(f: MatrixFixture, t: Targets): Promise<void> {
  const created = await f.send('admin', 'api', 'POST', { url: '/api/companies', json: { name: `Company ${t.unique}` } });
  if (created.status !== 201) throw new Error(`fixture: POST /api/companies answered ${created.status} ${created.body}`);
  spareCompanies.set(t.unique, (JSON.parse(created.body) as { id: string }).id);
}
const companyPage = (t: Targets) => `/ui/companies/${spareCompanies.get(t.unique) ?? randomUUID()}`;
/** A contact property key of the probe's own (keys are never reused). */
const propertyKey = (t: Targets) => `p_${t.unique.replace(/[^a-z0-9]/g, '')}`;
const contactProperty = (f: MatrixFixture, t: Targets) =>
  f.asAdmin('POST', '/api/record-settings/properties', { object: 'contact', key: propertyKey(t), label: `Property ${t.unique}`, type: 'text' });
const contactInPath = { resource: 'contact', via: 'path :id' } as const;
const ticketInPath = { resource: 'ticket', via: 'path :id' } as const;
/** A record page's form: saved, it leads back to the page with `?done=`. */
const recordForm = (path: (t: Targets) => string, form: (t: Targets) => Record<string, string | string[]>, options: Partial<Probe> = {}): Probe => ({
  call: (t) => ({ url: path(t), form: form(t) }),
  allowed: 303,
  location: /^\/ui\/[a-z/_-]+(?:\/[0-9a-f-]{36})?\?done=[a-z]+$/,
  ...options,
});

/** Support forms connected for the probes of the forms routes, by the probe's unique suffix. */
const formConnections = new Map<string, string>();
/** Connects a support form to inbox B (as the admin). */
async function formConnection(f: MatrixFixture, t: Targets): Promise<void> {
  const name = `Form ${t.unique}`;
  await f.asAdmin('POST', `/api/inboxes/${t.inboxId}/channels`, { type: 'forms', name, settings: { title: `Contact ${t.unique}` } });
  const listed = await f.send('admin', 'api', 'GET', { url: `/api/inboxes/${t.inboxId}/channels` });
  const connection = (JSON.parse(listed.body) as { channels: { id: string; name: string }[] }).channels.find((c) => c.name === name);
  if (!connection) throw new Error(`fixture: the form "${name}" is not listed in inbox ${t.inboxId}`);
  formConnections.set(t.unique, connection.id);
}

/** Flow bots made for the probes of the bot routes, by the probe's unique suffix. */
const bots = new Map<string, string>();
/** Adds a flow bot to inbox B (as the admin) for a probe that reads, changes or removes it. */
async function flowBot(f: MatrixFixture, t: Targets): Promise<void> {
  const name = `Bot ${t.unique}`;
  await f.asAdmin('POST', `/api/inboxes/${t.inboxId}/bots`, { name, kind: 'flow' });
  const listed = await f.send('admin', 'api', 'GET', { url: `/api/inboxes/${t.inboxId}/bots` });
  const bot = (JSON.parse(listed.body) as { bots: { id: string; name: string }[] }).bots.find((b) => b.name === name);
  if (!bot) throw new Error(`fixture: the bot "${name}" is not listed in inbox ${t.inboxId}`);
  bots.set(t.unique, bot.id);
}
/** As flowBot, with every other bot of inbox B deactivated first (one active bot per inbox). */
async function onlyFlowBot(f: MatrixFixture, t: Targets): Promise<void> {
  const listed = await f.send('admin', 'api', 'GET', { url: `/api/inboxes/${t.inboxId}/bots` });
  for (const bot of (JSON.parse(listed.body) as { bots: { id: string; active: boolean }[] }).bots) {
    if (bot.active) await f.asAdmin('POST', `/api/bots/${bot.id}/deactivate`);
  }
  await flowBot(f, t);
  activeBot = bots.get(t.unique);
}
/** The bot of the API's activate probe: the one the probes may activate (one active bot per inbox). */
let activeBot: string | undefined;
const botUrl = (t: Targets, rest = '') => `/api/bots/${bots.get(t.unique) ?? randomUUID()}${rest}`;
/** The Settings page's form of one bot action (the web UI's twin of botUrl). */
const botSettingsAction = (action: string) => (t: Targets) => ({
  url: `/settings/bots/${bots.get(t.unique) ?? randomUUID()}/${action}?inbox=${t.inboxId}`,
  form: {},
});

/** A JSON command on one conversation (`POST /api/conversations/:id/<command>`). */
function conversationCommand(command: string, allowed: number, json: (t: Targets) => unknown = () => ({}), options: Partial<Probe> = {}): RouteEntry {
  return {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/conversations/${t.conversationId}/${command}`, json: json(t) }), scope: conversationInPath, allowed, ...options }],
  };
}

/** A conversation action of the inbox screen (`POST /ui/conversations/:id/<action>`, sent by htmx). */
function screenAction(action: string, form: (t: Targets) => Record<string, string> = () => ({}), options: Partial<Probe> = {}): Probe {
  return {
    variant: action,
    call: (t) => ({ url: `/ui/conversations/${t.conversationId}/${action}`, form: form(t) }),
    scope: conversationInPath,
    allowed: 200,
    ...options,
  };
}

/** A settings form of an inbox (`POST /settings/<form>?inbox=`): admins only. */
function settingsForm(path: (t: Targets) => string, form: (t: Targets) => Record<string, string | string[]>, options: Partial<Probe> = {}): RouteEntry {
  return {
    access: 'admin',
    surface: 'form',
    probes: [
      {
        call: (t) => ({ url: path(t), form: form(t) }),
        allowed: 303,
        location: /^\/settings\?inbox=[0-9a-f-]{36}&saved=/,
        ...options,
      },
    ],
  };
}

const SELF_PROFILE = 'acts on the caller itself';

/** A form that acts on the inbox in `?inbox=` resolves it first: one out of reach is unknown (404), before the admin check. */
const ACTS_ON_NAMED_INBOX = {
  outsider: { status: 404, why: "a form acts only on the inbox it names; one out of the agent's reach answers as unknown, before the admin check" },
};

/**
 * The inbox screen and its settings page name the inbox in `?inbox=`; one that is unknown or
 * not the agent's (an old link, a removed membership) opens an inbox the agent belongs to, for
 * either alike, so nothing tells them apart and inbox B shows nowhere (the marker check).
 */
const screenFallback = (status: number, what = 'the page of an inbox the agent belongs to') => ({
  status,
  why: `an inbox named in ?inbox= that is unknown or not the agent's opens ${what}, alike`,
});

/**
 * Every route of Parley, keyed "METHOD path" exactly as Fastify registers it. A route missing
 * here, or an entry that is no route, fails the matrix: deciding who may call a new route is
 * part of adding it.
 */
export const ROUTE_TABLE: Record<string, RouteEntry> = {
  // ---- public, on purpose ----------------------------------------------------------------------
  'GET /health': {
    access: 'public',
    why: 'load balancers and orchestrators probe readiness without credentials; it says only "ok"',
    surface: 'api',
    probes: [{ call: () => ({ url: '/health' }), allowed: 200 }],
  },
  'GET /metrics': {
    access: 'public',
    why: 'Prometheus scrapes without an agent session; it holds counts and timings by route pattern, no content; PARLEY_METRICS=off hides it (404) and PARLEY_METRICS_TOKEN requires a bearer token',
    surface: 'api',
    probes: [{ call: () => ({ url: '/metrics' }), allowed: 200 }],
  },
  'GET /api/setup': {
    access: 'public',
    why: 'the first-run page asks whether an admin must be created before anyone can log in; it answers a boolean',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/setup' }), allowed: 200 }],
  },
  'POST /api/setup': {
    access: 'public',
    why: 'creates the first admin while no account exists; refused (409) once anyone exists',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: '/api/setup', json: { name: 'Intruder', email: `intruder-${t.unique}@example.org`, password: 'intruder-password-1' } }),
        allowed: 409,
      },
    ],
  },
  'POST /api/auth/login': {
    access: 'public',
    why: 'obtaining a session cannot require one; wrong passwords are throttled (429, checked below)',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/auth/login', json: { email: 'member@parley.test', password: 'matrix-password-1' } }), allowed: 200 }],
  },
  'POST /api/auth/logout': {
    access: 'public',
    why: 'clears the session cookie; with no session there is nothing to clear and nothing is revealed',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/auth/logout', json: {} }), allowed: 204 }],
  },
  'GET /': {
    access: 'public',
    why: 'the entry point only redirects (to /setup before the first admin exists, else to /inbox, which asks for a login)',
    surface: 'page',
    probes: [{ call: () => ({ url: '/' }), allowed: 303, location: /^\/inbox$/ }],
  },
  'GET /login': {
    access: 'public',
    why: 'the login form',
    surface: 'page',
    probes: [{ call: () => ({ url: '/login' }), allowed: 200 }],
  },
  'POST /login': {
    access: 'public',
    why: "the login form's post; same throttle as the API login (checked below), and it must come from our own page (Origin)",
    surface: 'form',
    probes: [
      {
        call: () => ({ url: '/login', form: { email: 'member@parley.test', password: 'matrix-password-1', next: '/inbox' } }),
        allowed: 303,
        location: /^\/inbox$/,
      },
    ],
  },
  'GET /setup': {
    access: 'public',
    why: 'the first-run form; once anyone exists it only redirects to /login',
    surface: 'page',
    probes: [{ call: () => ({ url: '/setup' }), allowed: 303, location: /^\/login$/ }],
  },
  'POST /setup': {
    access: 'public',
    why: "the first-run form's post; once anyone exists it creates nothing (409, with the login form)",
    surface: 'form',
    probes: [
      {
        call: (t) => ({
          url: '/setup',
          form: { name: 'Intruder', email: `intruder-web-${t.unique}@example.org`, password: 'intruder-password-1', confirm: 'intruder-password-1' },
        }),
        allowed: 409,
      },
    ],
  },
  'POST /logout': {
    access: 'public',
    why: 'clears the session cookie (from our own page: Origin); harmless without a session',
    surface: 'form',
    probes: [{ call: () => ({ url: '/logout', form: {} }), allowed: 303, location: /^\/login$/ }],
  },
  'GET /assets/:name': {
    access: 'public',
    why: 'the stylesheet and scripts of the login page itself; no data',
    surface: 'page',
    probes: [{ call: () => ({ url: '/assets/app.css' }), allowed: 200 }],
  },
  'GET /api/docs': {
    access: 'public',
    why: "the API reference page (Swagger UI): it describes the API's routes and shapes, as the source code does, and holds no data",
    surface: 'page',
    probes: [{ call: () => ({ url: '/api/docs' }), allowed: 200 }],
  },
  'GET /api/docs/parley-docs.js': {
    access: 'public',
    why: "the API reference page's set-up script; no data",
    surface: 'page',
    probes: [{ call: () => ({ url: '/api/docs/parley-docs.js' }), allowed: 200 }],
  },
  'GET /api/docs/*': {
    access: 'public',
    why: "Swagger UI's script and style sheet from its npm package (only those two files); no data",
    surface: 'page',
    probes: [{ call: () => ({ url: '/api/docs/swagger-ui.css' }), allowed: 200 }],
  },
  'GET /api/docs-json': {
    access: 'public',
    why: 'the OpenAPI document of the API: routes and shapes only, the same as docs/openapi.json in the repository',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/docs-json' }), allowed: 200 }],
  },

  // ---- the JSON API: agents and inboxes ---------------------------------------------------------
  'GET /api/agents': {
    access: 'member',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/agents' }), scope: { unscoped: 'the team directory: every agent assigns and mentions teammates' }, allowed: 200 }],
  },
  'POST /api/agents': {
    access: 'admin',
    surface: 'api',
    probes: [
      {
        call: (t) => ({
          url: '/api/agents',
          json: { name: `New ${t.unique}`, email: `new-${t.unique}-${randomUUID().slice(0, 4)}@parley.test`, password: 'new-password-1', role: 'agent' },
        }),
        allowed: 201,
      },
    ],
  },
  'PATCH /api/agents/:id': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/agents/${t.spareAgentId}`, json: { name: `Renamed ${t.unique}` } }), allowed: 200, spareAgent: true }],
    selfService: {
      why: 'an agent may change its own name (and password, with the current one); only the role and other agents need an admin',
      probe: { call: (t) => ({ url: `/api/agents/${t.memberId}`, json: { name: 'Member of B' } }), allowed: 200 },
    },
  },
  'DELETE /api/agents/:id': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/agents/${t.spareAgentId}` }), allowed: 200, spareAgent: true }],
  },
  'GET /api/contacts/:id/export': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/contacts/${t.contactId}/export` }), allowed: 200 }],
  },
  'POST /api/contacts/:id/erase': {
    access: 'admin',
    surface: 'api',
    // A confirmation that is not the contact's id: refused (400) and nothing erased, so the fixture's contact stays for the other probes.
    probes: [{ call: (t) => ({ url: `/api/contacts/${t.contactId}/erase`, json: { confirm: 'no' } }), allowed: 400 }],
  },
  // ---- the JSON API: contacts, companies, record settings (docs/contacts.md) -----------------------
  'GET /api/contacts': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: () => ({ url: '/api/contacts?q=customer' }),
        scope: { unscoped: "lists only the contacts of the agent's own inboxes (the marker check)" },
        allowed: 200,
      },
    ],
  },
  'POST /api/contacts': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: '/api/contacts', json: { name: `Made ${t.unique}` } }),
        scope: { unscoped: 'a contact made by hand belongs to no inbox yet' },
        allowed: 201,
      },
    ],
  },
  'GET /api/contacts/:id': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/contacts/${t.contactId}` }), scope: contactInPath, allowed: 200 }],
  },
  'PATCH /api/contacts/:id': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/contacts/${t.contactId}`, json: { jobTitle: 'Buyer' } }), scope: contactInPath, allowed: 200 }],
  },
  'POST /api/contacts/:id/merge': {
    access: 'member',
    surface: 'api',
    // Into itself: refused (400) and nothing merged, so the fixture's contact stays for the other probes.
    probes: [{ call: (t) => ({ url: `/api/contacts/${t.contactId}/merge`, json: { intoContactId: t.contactId } }), scope: contactInPath, allowed: 400 }],
  },
  'POST /api/contacts/:id/split': {
    access: 'member',
    surface: 'api',
    // An identity the contact does not hold: refused (400).
    probes: [
      { call: (t) => ({ url: `/api/contacts/${t.contactId}/split`, json: { identity: 'email:nobody@parley.test' } }), scope: contactInPath, allowed: 400 },
    ],
  },
  'GET /api/contacts/:id/timeline': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/contacts/${t.contactId}/timeline` }), scope: contactInPath, allowed: 200 }],
  },
  'PUT /api/conversations/:id/contact': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: `/api/conversations/${t.conversationId}/contact`, json: { contactId: spareContacts.get(t.unique) ?? randomUUID() } }),
        scope: conversationInPath,
        allowed: 200,
        prepare: spareContact,
      },
    ],
  },
  'GET /api/companies': {
    access: 'member',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/companies?q=company' }), scope: { unscoped: 'companies are account-wide' }, allowed: 200 }],
  },
  'POST /api/companies': {
    access: 'member',
    surface: 'api',
    probes: [
      { call: (t) => ({ url: '/api/companies', json: { name: `Company ${t.unique}` } }), scope: { unscoped: 'companies are account-wide' }, allowed: 201 },
    ],
  },
  'GET /api/companies/:id': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: `/api/companies/${spareCompanies.get(t.unique) ?? randomUUID()}` }),
        scope: { unscoped: 'companies are account-wide; their lists show only what the agent reaches' },
        allowed: 200,
        prepare: spareCompany,
      },
    ],
  },
  'PATCH /api/companies/:id': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: `/api/companies/${spareCompanies.get(t.unique) ?? randomUUID()}`, json: { name: `Renamed ${t.unique}` } }),
        scope: { unscoped: 'companies are account-wide' },
        allowed: 200,
        prepare: spareCompany,
      },
    ],
  },
  'GET /api/record-settings': {
    access: 'member',
    surface: 'api',
    probes: [
      { call: () => ({ url: '/api/record-settings' }), scope: { unscoped: 'the account-wide property definitions every agent fills in' }, allowed: 200 },
    ],
  },
  'POST /api/record-settings/properties': {
    access: 'admin',
    surface: 'api',
    probes: [
      {
        call: (t) => ({
          url: '/api/record-settings/properties',
          json: { object: 'contact', key: propertyKey(t), label: `Property ${t.unique}`, type: 'text' },
        }),
        allowed: 201,
      },
    ],
  },
  'PATCH /api/record-settings/properties/:object/:key': {
    access: 'admin',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: `/api/record-settings/properties/contact/${propertyKey(t)}`, json: { label: `Relabelled ${t.unique}` } }),
        allowed: 200,
        prepare: contactProperty,
      },
    ],
  },
  'DELETE /api/record-settings/properties/:object/:key': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/record-settings/properties/contact/${propertyKey(t)}` }), allowed: 200, prepare: contactProperty }],
  },
  'PUT /api/record-settings/card-properties/:object': {
    access: 'admin',
    surface: 'api',
    probes: [
      { call: () => ({ url: '/api/record-settings/card-properties/contact', json: { keys: ['emails', 'phones', 'company', 'jobTitle'] } }), allowed: 200 },
    ],
  },
  'PUT /api/record-settings/free-mail-domains': {
    access: 'admin',
    surface: 'api',
    // The list out of the box: the other probes' companies stay as they are.
    probes: [{ call: () => ({ url: '/api/record-settings/free-mail-domains', json: { domains: [...DEFAULT_FREE_MAIL_DOMAINS] } }), allowed: 200 }],
  },
  'GET /api/me': {
    access: 'member',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/me' }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'PUT /api/me/availability': {
    access: 'member',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/me/availability', json: { status: 'available' } }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'PUT /api/me/preferences': {
    access: 'member',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/me/preferences', json: { language: 'en', timeZone: 'UTC' } }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'GET /api/me/notifications': {
    access: 'member',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/me/notifications' }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'POST /api/me/notifications/read': {
    access: 'member',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/me/notifications/read', json: { all: true } }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'GET /api/me/notification-settings': {
    access: 'member',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/me/notification-settings' }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'PATCH /api/me/notification-settings': {
    access: 'member',
    surface: 'api',
    probes: [{ call: () => ({ url: '/api/me/notification-settings', json: { mention: { inApp: true } } }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'GET /api/inboxes': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: () => ({ url: '/api/inboxes' }),
        scope: { unscoped: 'lists only the inboxes the caller belongs to (B never appears for the outsider: the marker check)' },
        allowed: 200,
      },
    ],
  },
  'POST /api/inboxes': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: '/api/inboxes', json: { name: `Inbox ${t.unique}` } }), allowed: 201 }],
  },
  'PATCH /api/inboxes/:id': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/inboxes/${t.inboxId}`, json: { emailAddress: 'team-b@parley.test' } }), allowed: 200 }],
  },
  'PUT /api/inboxes/:id/members': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/inboxes/${t.inboxId}/members`, json: { agentIds: [t.memberId] } }), allowed: 200 }],
  },
  'GET /api/inboxes/:id/routing': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/inboxes/${t.inboxId}/routing` }), allowed: 200 }],
  },
  'PUT /api/inboxes/:id/routing': {
    access: 'admin',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: `/api/inboxes/${t.inboxId}/routing`, json: { mode: 'balanced', channels: ['chat'], defaultCapacity: 3, capacities: {} } }),
        allowed: 200,
      },
    ],
  },
  'GET /api/inboxes/:id/business-hours': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/inboxes/${t.inboxId}/business-hours` }), allowed: 200 }],
  },
  'PUT /api/inboxes/:id/business-hours': {
    access: 'admin',
    surface: 'api',
    probes: [
      {
        call: (t) => ({
          url: `/api/inboxes/${t.inboxId}/business-hours`,
          json: { enabled: false, timeZone: 'Europe/Amsterdam', week: { mon: [{ from: '09:00', to: '17:00' }] } },
        }),
        allowed: 200,
      },
    ],
  },
  'GET /api/inboxes/:inboxId/channels': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/inboxes/${t.inboxId}/channels` }), scope: { resource: 'inbox', via: 'path :inboxId' }, allowed: 200 }],
  },
  'POST /api/inboxes/:inboxId/channels': {
    access: 'admin',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: `/api/inboxes/${t.inboxId}/channels`, json: { type: 'chat', name: `Chat ${t.unique}`, settings: { allowedOrigins: [] } } }),
        allowed: 201,
      },
    ],
  },
  'PATCH /api/inboxes/:inboxId/channels/:connectionId': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: connectionUrl(t), json: { name: `Renamed ${t.unique}` } }), prepare: chatConnection, allowed: 200 }],
  },
  'DELETE /api/inboxes/:inboxId/channels/:connectionId': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: connectionUrl(t) }), prepare: chatConnection, allowed: 204 }],
  },
  'GET /api/inboxes/:inboxId/bots': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/inboxes/${t.inboxId}/bots` }), allowed: 200 }],
  },
  'POST /api/inboxes/:inboxId/bots': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/inboxes/${t.inboxId}/bots`, json: { name: `Bot ${t.unique}`, kind: 'flow' } }), allowed: 201 }],
  },
  'GET /api/bots/:id': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: botUrl(t) }), prepare: flowBot, allowed: 200 }],
  },
  'PATCH /api/bots/:id': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: botUrl(t), json: { name: `Renamed ${t.unique}` } }), prepare: flowBot, allowed: 200 }],
  },
  'DELETE /api/bots/:id': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: botUrl(t) }), prepare: flowBot, allowed: 204 }],
  },
  'POST /api/bots/:id/activate': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: botUrl(t, '/activate'), json: {} }), prepare: onlyFlowBot, allowed: 200 }],
  },
  'POST /api/bots/:id/deactivate': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: botUrl(t, '/deactivate'), json: {} }), prepare: flowBot, allowed: 200 }],
  },
  'POST /api/bots/:id/token': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: (t) => ({ url: botUrl(t, '/token'), json: {} }), prepare: flowBot, allowed: 201 }],
  },
  'GET /api/senders/blocked': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/senders/blocked?inboxId=${t.inboxId}` }), scope: inboxInQuery('inboxId'), allowed: 200 }],
  },
  'POST /api/senders/unblock': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: '/api/senders/unblock', json: { inboxId: t.inboxId, address: t.customer } }),
        scope: inboxInBody,
        allowed: 200,
        prepare: blockSender,
      },
    ],
  },

  // ---- the JSON API: views, lists, search -------------------------------------------------------
  'GET /api/views': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/views?inboxId=${t.inboxId}` }), scope: inboxInQuery('inboxId'), allowed: 200 }],
  },
  'POST /api/views': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: '/api/views', json: { inboxId: t.inboxId, name: `Saved ${t.unique}`, filters: { status: 'open' } } }),
        scope: inboxInBody,
        allowed: 201,
      },
    ],
  },
  'PATCH /api/views/:viewId': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/views/${t.viewId}`, json: { name: `Renamed ${t.unique}` } }), scope: viewInPath, allowed: 200 }],
  },
  'DELETE /api/views/:viewId': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/views/${t.viewId}` }), scope: viewInPath, allowed: 200 }],
  },
  'GET /api/views/:viewId/conversations': {
    access: 'member',
    surface: 'api',
    probes: [
      { variant: 'custom view', call: (t) => ({ url: `/api/views/${t.viewId}/conversations` }), scope: viewInPath, allowed: 200 },
      {
        variant: 'built-in view',
        call: (t) => ({ url: `/api/views/all-open/conversations?inboxId=${t.inboxId}` }),
        scope: inboxInQuery('inboxId'),
        allowed: 200,
      },
    ],
  },
  'GET /api/conversations': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/conversations?inboxId=${t.inboxId}&status=open` }), scope: inboxInQuery('inboxId'), allowed: 200 }],
  },
  'GET /api/reports/agents': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/reports/agents?inboxId=${t.inboxId}` }), scope: inboxInQuery('inboxId'), allowed: 200 }],
  },

  // ---- the JSON API: one conversation -----------------------------------------------------------
  'GET /api/conversations/:id': {
    access: 'member',
    surface: 'api',
    probes: [
      { variant: 'now', call: (t) => ({ url: `/api/conversations/${t.conversationId}` }), scope: conversationInPath, allowed: 200 },
      {
        variant: 'as it was (?at=)',
        call: (t) => ({ url: `/api/conversations/${t.conversationId}?at=${encodeURIComponent(new Date().toISOString())}` }),
        scope: conversationInPath,
        allowed: 200,
      },
    ],
  },
  'GET /api/conversations/:id/history': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/conversations/${t.conversationId}/history` }), scope: conversationInPath, allowed: 200 }],
  },
  'GET /api/audit/verify': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: `/api/audit/verify?conversationId=${t.conversationId}` }),
        scope: { resource: 'conversation', via: 'query conversationId' },
        allowed: 200,
      },
    ],
  },
  'POST /api/conversations/bulk': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: '/api/conversations/bulk', json: { ids: [t.conversationId], action: 'close' } }),
        scope: { resource: 'conversation', via: 'body ids' },
        allowed: 200,
        outsider: { status: 200, why: 'one result per id: the refused id is a 404 inside the answer, alike an unknown id' },
      },
    ],
  },
  'POST /api/conversations/:id/assign': conversationCommand('assign', 200, (t) => ({ assignee: t.memberId })),
  'POST /api/conversations/:id/close': conversationCommand('close', 200),
  'POST /api/conversations/:id/reopen': conversationCommand('reopen', 200, undefined, { prepare: close }),
  'POST /api/conversations/:id/replies': conversationCommand('replies', 201, () => ({ text: 'Thanks, on it.' })),
  'GET /api/conversations/:id/reply-options': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/conversations/${t.conversationId}/reply-options` }), scope: conversationInPath, allowed: 200 }],
  },
  // Files for replies. The probe sends JSON, not a file: a member gets the 400 naming the body (after the
  // access check, which is what is probed), on an email conversation (a channel that takes files).
  'POST /api/conversations/:id/attachments': conversationCommand('attachments?filename=a.pdf', 400, () => ({}), { emailConversation: true }),
  // No file was uploaded to the probe's conversation: a member learns that this id is not there (404,
  // naming the attachment), an outsider that the conversation is not (404, as for an unknown one).
  'GET /api/conversations/:id/attachments/:attachmentId': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/conversations/${t.conversationId}/attachments/${randomUUID()}` }), scope: conversationInPath, allowed: 404 }],
  },
  'POST /api/conversations/:id/comments': conversationCommand('comments', 201, () => ({ text: 'Internal note' })),
  'POST /api/conversations/:id/spam': conversationCommand('spam', 200),
  'POST /api/conversations/:id/not-spam': conversationCommand('not-spam', 200, undefined, { prepare: spam }),
  'POST /api/conversations/:id/block-sender': conversationCommand('block-sender', 200),
  'POST /api/conversations/:id/trash': conversationCommand('trash', 200),
  'POST /api/conversations/:id/restore': conversationCommand('restore', 200, undefined, { prepare: trash }),
  'POST /api/conversations/:id/ticket': conversationCommand('ticket', 201, () => ({ name: 'Follow up' })),

  // ---- the JSON API: tickets ---------------------------------------------------------------------
  'GET /api/tickets': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/tickets?inboxId=${t.inboxId}&status=new` }), scope: inboxInQuery('inboxId'), allowed: 200, ticket: true }],
  },
  'GET /api/tickets/:id': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/tickets/${t.ticketId}` }), scope: { resource: 'ticket', via: 'ticketId' }, allowed: 200, ticket: true }],
  },
  'PATCH /api/tickets/:id': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: `/api/tickets/${t.ticketId}`, json: { priority: 'high', status: 'waiting-on-us' } }),
        scope: { resource: 'ticket', via: 'ticketId' },
        allowed: 200,
        ticket: true,
      },
    ],
  },
  'POST /api/conversations/:id/unlink-contact': conversationCommand('unlink-contact', 200),
  'POST /api/conversations/:id/forward': conversationCommand('forward', 201, () => ({ to: 'partner@example.org', note: 'FYI' }), { emailConversation: true }),
  // The probe's conversation came in through the API channel, which keeps no transcripts: the member
  // is told so (400 naming the channel); the outsider learns nothing (404, as for an unknown id).
  'POST /api/conversations/:id/transcript': conversationCommand('transcript', 400, () => ({ to: 'visitor@example.org' })),
  'POST /api/conversations/:id/typing': conversationCommand('typing', 204),
  'DELETE /api/conversations/:id': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/conversations/${t.conversationId}` }), scope: conversationInPath, allowed: 200, prepare: trash }],
  },
  'POST /api/emails': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: '/api/emails', json: { to: 'partner@example.org', subject: 'Hello', text: 'A new thread', inboxId: t.inboxId } }),
        scope: inboxInBody,
        allowed: 201,
      },
    ],
  },

  // ---- channel plugins' routes (mounted by the plugin registry, outside Nest) --------------------
  'GET /api/channels': {
    access: 'member',
    surface: 'api',
    probes: [
      { call: () => ({ url: '/api/channels' }), scope: { unscoped: 'the channels Parley has (names, icons, capabilities): no inbox data' }, allowed: 200 },
    ],
  },
  'POST /api/channels/api/messages': {
    access: 'member',
    surface: 'api',
    probes: [
      {
        call: (t) => ({
          url: '/api/channels/api/messages',
          json: {
            inboxId: t.inboxId,
            externalThreadId: `matrix-${randomUUID()}`,
            externalMessageId: `matrix-${randomUUID()}`,
            from: { address: 'integration@example.org' },
            text: 'Posted by an integration',
          },
        }),
        scope: inboxInBody,
        allowed: 201,
      },
    ],
  },
  'GET /api/channels/email/blobs/:id': {
    access: 'member',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/channels/email/blobs/${t.blobId}` }), scope: { resource: 'blob', via: 'path :id' }, allowed: 200 }],
  },
  // The chat channel's visitor routes (docs/chat.md): public because website visitors have no agent session.
  'GET /channels/chat/widget.js': {
    access: 'public',
    why: 'the chat loader a website embeds with one script tag; the same file for everyone, rate-limited per address',
    surface: 'api',
    probes: [{ call: () => ({ url: '/channels/chat/widget.js' }), allowed: 200 }],
  },
  'GET /channels/chat/assets/frame.js': {
    access: 'public',
    why: "the chat frame's script; the same file for everyone",
    surface: 'api',
    probes: [{ call: () => ({ url: '/channels/chat/assets/frame.js' }), allowed: 200 }],
  },
  'GET /channels/chat/assets/frame.css': {
    access: 'public',
    why: "the chat frame's style sheet; the same file for everyone",
    surface: 'api',
    probes: [{ call: () => ({ url: '/channels/chat/assets/frame.css' }), allowed: 200 }],
  },
  'GET /channels/chat/c/:cid/frame': {
    access: 'public',
    why: "the chat page a website frames; it holds the connection's greeting and no inbox data, and only the connection's allowedOrigins may frame it",
    // 'api', not 'page': a plugin route, so the API reference lists it like the other visitor routes.
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/channels/chat/c/${chatConnections.get(t.unique)}/frame` }), prepare: chatConnection, allowed: 200 }],
  },
  'POST /channels/chat/c/:cid/session': {
    access: 'public',
    why: 'a website visitor starts or resumes a chat: a signed session of their own (only their own conversation), refused (401) for a forged one; rate-limited',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/channels/chat/c/${chatConnections.get(t.unique)}/session`, json: {} }), prepare: chatConnection, allowed: 200 }],
  },
  'POST /channels/chat/c/:cid/messages': {
    access: 'public',
    why: "a visitor's message; needs the visitor's signed session token (401 without), rate-limited per visitor and address",
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: `/channels/chat/c/${chatConnections.get(t.unique)}/messages`, json: { text: 'Hi', clientMessageId: 'm-1' } }),
        prepare: chatConnection,
        allowed: 401,
      },
    ],
  },
  'POST /channels/chat/c/:cid/contact': {
    access: 'public',
    why: "a visitor leaves their name and email; needs the visitor's signed session token (401 without)",
    surface: 'api',
    probes: [
      { call: (t) => ({ url: `/channels/chat/c/${chatConnections.get(t.unique)}/contact`, json: { name: 'Vera' } }), prepare: chatConnection, allowed: 401 },
    ],
  },
  'POST /channels/chat/c/:cid/handoff': {
    access: 'public',
    why: 'the visitor\'s "Talk to a person" while a bot answers (their own conversation only); needs the visitor\'s signed session token (401 without), rate-limited',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/channels/chat/c/${chatConnections.get(t.unique)}/handoff`, json: {} }), prepare: chatConnection, allowed: 401 }],
  },
  'POST /channels/chat/c/:cid/typing': {
    access: 'public',
    why: "tells the agents the visitor types; needs the visitor's signed session token (401 without)",
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/channels/chat/c/${chatConnections.get(t.unique)}/typing`, json: {} }), prepare: chatConnection, allowed: 401 }],
  },
  'GET /channels/chat/c/:cid/events': {
    access: 'public',
    why: "the visitor's event stream (replies, typing, seen) of their own conversation; needs the visitor's signed session token (401 without)",
    // Refused before any stream opens; 'api' as every plugin route (the API reference lists them all).
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/channels/chat/c/${chatConnections.get(t.unique)}/events` }), prepare: chatConnection, allowed: 401 }],
  },
  // Meta's Messenger webhook (docs/messenger.md): public because Meta calls it; it proves itself by the verify token and the signature.
  'GET /channels/messenger/webhook': {
    access: 'public',
    why: "Meta's subscription handshake: echoes hub.challenge only for a connection's verify token (compared in constant time), 403 otherwise",
    surface: 'api',
    probes: [{ call: () => ({ url: '/channels/messenger/webhook?hub.mode=subscribe&hub.verify_token=not-a-token&hub.challenge=42' }), allowed: 403 }],
  },
  'POST /channels/messenger/webhook': {
    access: 'public',
    why: "Meta's deliveries for connected pages: X-Hub-Signature-256 over the raw body is checked against the connections' app secrets before anything is parsed (401 without)",
    surface: 'api',
    probes: [{ call: () => ({ url: '/channels/messenger/webhook', json: { object: 'page', entry: [] } }), allowed: 401 }],
  },
  // Meta's WhatsApp Cloud API webhook (docs/whatsapp.md): public because Meta calls it; it proves itself by the verify token and the signature.
  'GET /channels/whatsapp/webhook': {
    access: 'public',
    why: "Meta's subscription handshake: echoes hub.challenge only for a connection's verify token (compared in constant time), 403 otherwise",
    surface: 'api',
    probes: [{ call: () => ({ url: '/channels/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=not-a-token&hub.challenge=42' }), allowed: 403 }],
  },
  'POST /channels/whatsapp/webhook': {
    access: 'public',
    why: "Meta's deliveries for connected numbers: X-Hub-Signature-256 over the raw body is checked against the connections' app secrets before anything is parsed (401 without)",
    surface: 'api',
    probes: [{ call: () => ({ url: '/channels/whatsapp/webhook', json: { object: 'whatsapp_business_account', entry: [] } }), allowed: 401 }],
  },
  // Admins sync a WhatsApp number's approved templates on demand; past the role check an unknown connection is a 404 (a known one asks Meta).
  'POST /api/channels/whatsapp/connections/:connectionId/templates/sync': {
    access: 'admin',
    surface: 'api',
    probes: [{ call: () => ({ url: `/api/channels/whatsapp/connections/${randomUUID()}/templates/sync`, json: {} }), allowed: 404 }],
  },
  // The support forms' routes (docs/forms.md): public because whoever fills in a form has no agent session.
  'GET /forms/:formId': {
    access: 'public',
    why: "a support form's hosted page: the form's title and fields and a fresh CSRF token, no inbox data; only the form's allowedOrigins may frame it; rate-limited per address",
    surface: 'page',
    probes: [{ call: (t) => ({ url: `/forms/${formConnections.get(t.unique)}` }), prepare: formConnection, allowed: 200 }],
  },
  'POST /channels/forms/:formId/submissions': {
    access: 'public',
    why: "a filled-in support form: the hosted page's post needs its CSRF token (403 without), JSON is refused from websites not in allowedOrigins; validated per field, rate-limited per address",
    surface: 'api',
    probes: [
      {
        call: (t) => ({ url: `/channels/forms/${formConnections.get(t.unique)}/submissions`, form: { email: 'a@example.org', message: 'Hi' } }),
        prepare: formConnection,
        allowed: 403,
      },
    ],
  },

  // The bot API (docs/webhook-bots.md): public for the agents' session guard, authenticated by a webhook bot's own API token.
  'GET /api/bot/conversations/:id': {
    access: 'public',
    why: "a webhook bot reads a conversation it holds with its own API token (401 without one, or with an agent's session token); rate-limited",
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/bot/conversations/${t.conversationId}` }), allowed: 401 }],
  },
  'POST /api/bot/conversations/:id/replies': {
    access: 'public',
    why: 'a webhook bot answers a conversation it holds, with its own API token (401 without one); rate-limited',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/bot/conversations/${t.conversationId}/replies`, json: { text: 'Hello from a bot' } }), allowed: 401 }],
  },
  'POST /api/bot/conversations/:id/handoff': {
    access: 'public',
    why: 'a webhook bot hands a conversation it holds to the team, with its own API token (401 without one); rate-limited',
    surface: 'api',
    probes: [{ call: (t) => ({ url: `/api/bot/conversations/${t.conversationId}/handoff`, json: {} }), allowed: 401 }],
  },

  // ---- the web UI: pages --------------------------------------------------------------------------
  'GET /inbox': {
    access: 'member',
    surface: 'page',
    probes: [
      {
        call: (t) => ({ url: `/inbox?inbox=${t.inboxId}&conversation=${t.conversationId}` }),
        scope: inboxInQuery('inbox'),
        allowed: 200,
        outsider: screenFallback(200),
      },
    ],
  },
  'GET /settings': {
    access: 'member',
    surface: 'page',
    probes: [{ call: (t) => ({ url: `/settings?inbox=${t.inboxId}` }), scope: inboxInQuery('inbox'), allowed: 200, outsider: screenFallback(200) }],
  },
  'GET /ui/reports': {
    access: 'member',
    surface: 'page',
    probes: [
      {
        call: (t) => ({ url: `/ui/reports?inbox=${t.inboxId}` }),
        scope: inboxInQuery('inbox'),
        allowed: 200,
        outsider: screenFallback(200, 'the report over the inboxes the agent belongs to'),
      },
    ],
  },
  'GET /ui/contacts': {
    access: 'member',
    surface: 'page',
    probes: [
      {
        call: () => ({ url: '/ui/contacts?q=customer' }),
        scope: { unscoped: "lists only the contacts of the agent's own inboxes (the marker check)" },
        allowed: 200,
      },
    ],
  },
  'POST /ui/contacts': {
    access: 'member',
    surface: 'form',
    probes: [
      recordForm(
        () => '/ui/contacts',
        (t) => ({ name: `Made ${t.unique}` }),
        { scope: { unscoped: 'a contact made by hand belongs to no inbox yet' } },
      ),
    ],
  },
  'GET /ui/contacts/:id': {
    access: 'member',
    surface: 'page',
    probes: [{ call: (t) => ({ url: `/ui/contacts/${t.contactId}` }), scope: contactInPath, allowed: 200 }],
  },
  'POST /ui/contacts/:id': {
    access: 'member',
    surface: 'form',
    probes: [
      recordForm(
        (t) => `/ui/contacts/${t.contactId}`,
        () => ({ jobTitle: 'Buyer' }),
        { scope: contactInPath },
      ),
    ],
  },
  'POST /ui/contacts/:id/merge': {
    access: 'member',
    surface: 'form',
    // No contact picked: refused on the contact's page (400); the route's access is what is probed.
    probes: [{ call: (t) => ({ url: `/ui/contacts/${t.contactId}/merge`, form: { intoContactId: '' } }), scope: contactInPath, allowed: 400 }],
  },
  'POST /ui/contacts/:id/split': {
    access: 'member',
    surface: 'form',
    // An identity the contact does not hold: refused on the contact's page (400).
    probes: [
      { call: (t) => ({ url: `/ui/contacts/${t.contactId}/split`, form: { identity: 'email:nobody@parley.test' } }), scope: contactInPath, allowed: 400 },
    ],
  },
  'GET /ui/contacts/:id/export': {
    access: 'admin',
    surface: 'page',
    probes: [{ call: (t) => ({ url: `/ui/contacts/${t.contactId}/export` }), allowed: 200 }],
  },
  'POST /ui/contacts/:id/erase': {
    access: 'admin',
    surface: 'form',
    // Without the confirmation ticked nothing is erased (400): the fixture's contact stays for the other probes.
    probes: [{ call: (t) => ({ url: `/ui/contacts/${t.contactId}/erase`, form: { confirm: '' } }), allowed: 400 }],
  },
  'GET /ui/companies': {
    access: 'member',
    surface: 'page',
    probes: [{ call: () => ({ url: '/ui/companies?q=company' }), scope: { unscoped: 'companies are account-wide' }, allowed: 200 }],
  },
  'POST /ui/companies': {
    access: 'member',
    surface: 'form',
    probes: [
      recordForm(
        () => '/ui/companies',
        (t) => ({ name: `Company ${t.unique}` }),
        { scope: { unscoped: 'companies are account-wide' } },
      ),
    ],
  },
  'GET /ui/companies/:id': {
    access: 'member',
    surface: 'page',
    probes: [
      {
        call: (t) => ({ url: companyPage(t) }),
        scope: { unscoped: 'companies are account-wide; their lists show only what the agent reaches' },
        allowed: 200,
        prepare: spareCompany,
      },
    ],
  },
  'POST /ui/companies/:id': {
    access: 'member',
    surface: 'form',
    probes: [recordForm(companyPage, (t) => ({ name: `Renamed ${t.unique}` }), { scope: { unscoped: 'companies are account-wide' }, prepare: spareCompany })],
  },
  'GET /ui/tickets': {
    access: 'member',
    surface: 'page',
    probes: [{ call: (t) => ({ url: `/ui/tickets?inbox=${t.inboxId}` }), scope: inboxInQuery('inbox'), allowed: 200, ticket: true }],
  },
  'GET /ui/tickets/:id': {
    access: 'member',
    surface: 'page',
    probes: [{ call: (t) => ({ url: `/ui/tickets/${t.ticketId}` }), scope: ticketInPath, allowed: 200, ticket: true }],
  },
  'POST /ui/tickets/:id': {
    access: 'member',
    surface: 'form',
    probes: [
      recordForm(
        (t) => `/ui/tickets/${t.ticketId}`,
        () => ({ priority: 'high' }),
        { scope: ticketInPath, ticket: true },
      ),
    ],
  },
  'GET /ui/settings/properties': {
    access: 'admin',
    surface: 'page',
    probes: [{ call: () => ({ url: '/ui/settings/properties' }), allowed: 200 }],
  },
  'POST /ui/settings/properties': {
    access: 'admin',
    surface: 'form',
    probes: [
      recordForm(
        () => '/ui/settings/properties',
        (t) => ({ object: 'contact', key: propertyKey(t), label: `Property ${t.unique}`, type: 'text' }),
      ),
    ],
  },
  'POST /ui/settings/properties/:object/:key': {
    access: 'admin',
    surface: 'form',
    probes: [
      recordForm(
        (t) => `/ui/settings/properties/contact/${propertyKey(t)}`,
        (t) => ({ label: `Relabelled ${t.unique}` }),
        { prepare: contactProperty },
      ),
    ],
  },
  'POST /ui/settings/properties/:object/:key/archive': {
    access: 'admin',
    surface: 'form',
    probes: [
      recordForm(
        (t) => `/ui/settings/properties/contact/${propertyKey(t)}/archive`,
        () => ({}),
        { prepare: contactProperty },
      ),
    ],
  },
  'POST /ui/settings/card-properties/:object': {
    access: 'admin',
    surface: 'form',
    probes: [
      recordForm(
        () => '/ui/settings/card-properties/contact',
        () => ({ keys: ['emails', 'phones', 'company', 'jobTitle'] }),
      ),
    ],
  },
  'POST /ui/settings/free-mail-domains': {
    access: 'admin',
    surface: 'form',
    probes: [
      recordForm(
        () => '/ui/settings/free-mail-domains',
        () => ({ domains: 'gmail.com\nhotmail.com\noutlook.com' }),
      ),
    ],
  },
  'POST /settings/inbox': settingsForm(
    (t) => `/settings/inbox?inbox=${t.inboxId}`,
    () => ({ name: `Team ${MARKER}`, emailAddress: 'team-b@parley.test' }),
    ACTS_ON_NAMED_INBOX,
  ),
  'POST /settings/members': settingsForm(
    (t) => `/settings/members?inbox=${t.inboxId}`,
    (t) => ({ agentIds: [t.memberId] }),
    ACTS_ON_NAMED_INBOX,
  ),
  'POST /settings/inboxes': settingsForm(
    () => '/settings/inboxes',
    (t) => ({ name: `Inbox web ${t.unique}-${randomUUID().slice(0, 4)}` }),
  ),
  'POST /settings/agents': settingsForm(
    (t) => `/settings/agents?inbox=${t.inboxId}`,
    (t) => ({ name: `Added ${t.unique}`, email: `added-${t.unique}-${randomUUID().slice(0, 4)}@parley.test`, password: 'added-password-1', role: 'agent' }),
    ACTS_ON_NAMED_INBOX,
  ),
  'POST /settings/agents/:agentId/remove': settingsForm(
    (t) => `/settings/agents/${t.spareAgentId}/remove?inbox=${t.inboxId}`,
    () => ({}),
    { spareAgent: true, ...ACTS_ON_NAMED_INBOX },
  ),
  'POST /settings/channels': settingsForm(
    (t) => `/settings/channels?inbox=${t.inboxId}`,
    (t) => ({ type: 'chat', name: `Chat web ${t.unique}` }),
    ACTS_ON_NAMED_INBOX,
  ),
  'POST /settings/channels/:connectionId': settingsForm(
    (t) => `/settings/channels/${chatConnections.get(t.unique) ?? randomUUID()}?inbox=${t.inboxId}`,
    (t) => ({ name: `Renamed web ${t.unique}` }),
    { prepare: chatConnection, ...ACTS_ON_NAMED_INBOX },
  ),
  'POST /settings/channels/:connectionId/remove': settingsForm(
    (t) => `/settings/channels/${chatConnections.get(t.unique) ?? randomUUID()}/remove?inbox=${t.inboxId}`,
    () => ({}),
    { prepare: chatConnection, ...ACTS_ON_NAMED_INBOX },
  ),
  'POST /settings/unblock': {
    access: 'member',
    surface: 'form',
    probes: [
      {
        call: (t) => ({ url: `/settings/unblock?inbox=${t.inboxId}`, form: { address: t.customer } }),
        scope: inboxInQuery('inbox'),
        allowed: 303,
        location: /^\/settings\?inbox=[0-9a-f-]{36}&saved=unblocked$/,
        prepare: blockSender,
      },
    ],
  },

  'POST /settings/preferences': {
    access: 'member',
    surface: 'form',
    probes: [
      {
        call: (t) => ({ url: `/settings/preferences?inbox=${t.inboxId}`, form: { language: 'en', timeZone: 'UTC' } }),
        scope: inboxInQuery('inbox'),
        allowed: 303,
        location: /^\/settings\?inbox=[0-9a-f-]{36}&saved=preferences$/,
      },
    ],
  },
  'POST /settings/password': {
    access: 'member',
    surface: 'form',
    probes: [
      {
        // Two different new passwords: the form is refused before anything changes, so the probing agent keeps its session.
        call: (t) => ({
          url: `/settings/password?inbox=${t.inboxId}`,
          form: { currentPassword: 'not-checked', password: 'new-password-1', confirm: 'new-password-2' },
        }),
        scope: inboxInQuery('inbox'),
        allowed: 400,
      },
    ],
  },
  'POST /settings/views/:viewId/rename': {
    access: 'member',
    surface: 'form',
    probes: [
      {
        call: (t) => ({ url: `/settings/views/${t.viewId}/rename?inbox=${t.inboxId}`, form: { name: `Renamed ${t.unique}` } }),
        scope: inboxInQuery('inbox'),
        allowed: 303,
        location: /^\/settings\?inbox=[0-9a-f-]{36}&saved=view-renamed$/,
      },
    ],
  },
  'POST /settings/views/:viewId/delete': {
    access: 'member',
    surface: 'form',
    probes: [
      {
        call: (t) => ({ url: `/settings/views/${t.viewId}/delete?inbox=${t.inboxId}` }),
        scope: inboxInQuery('inbox'),
        allowed: 303,
        location: /^\/settings\?inbox=[0-9a-f-]{36}&saved=view-deleted$/,
      },
    ],
  },

  // ---- the web UI: fragments and actions (htmx) and live events ------------------------------------
  'GET /ui/nav': {
    access: 'member',
    surface: 'htmx',
    probes: [{ call: (t) => ({ url: `/ui/nav?inbox=${t.inboxId}` }), scope: inboxInQuery('inbox'), allowed: 200, outsider: screenFallback(200) }],
  },
  'GET /ui/list': {
    access: 'member',
    surface: 'htmx',
    probes: [{ call: (t) => ({ url: `/ui/list?inbox=${t.inboxId}` }), scope: inboxInQuery('inbox'), allowed: 200, outsider: screenFallback(200) }],
  },
  'GET /ui/conversations/:id': {
    access: 'member',
    surface: 'htmx',
    probes: [
      {
        call: (t) => ({ url: `/ui/conversations/${t.conversationId}` }),
        scope: conversationInPath,
        allowed: 200,
        outsider: { status: 200, why: 'the pane shows "no longer exists, or you have no access" for an unknown id too (htmx swaps 2xx answers only)' },
      },
    ],
  },
  'GET /ui/conversations/:id/main': {
    access: 'member',
    surface: 'htmx',
    probes: [
      {
        call: (t) => ({ url: `/ui/conversations/${t.conversationId}/main` }),
        scope: conversationInPath,
        allowed: 200,
        outsider: { status: 200, why: 'a live refresh of a conversation that is gone (or never was) swaps in the "gone" notice' },
      },
    ],
  },
  'GET /ui/conversations/:id/messages/:messageId/body': {
    access: 'member',
    surface: 'page',
    probes: [{ call: (t) => ({ url: `/ui/conversations/${t.conversationId}/messages/${t.messageId}/body` }), scope: conversationInPath, allowed: 200 }],
  },
  'POST /ui/conversations/:id/reply': {
    access: 'member',
    surface: 'htmx',
    probes: [
      {
        call: (t) => ({ url: `/ui/conversations/${t.conversationId}/reply`, form: { text: 'Thanks, on it.', revision: String(t.revision) } }),
        scope: conversationInPath,
        allowed: 200,
      },
    ],
  },
  'POST /ui/conversations/:id/:action': {
    access: 'member',
    surface: 'htmx',
    probes: [
      screenAction('assign', (t) => ({ assignee: t.memberId })),
      screenAction('close'),
      screenAction('reopen', undefined, { prepare: close }),
      screenAction('comment', () => ({ text: 'Internal note' })),
      screenAction('spam'),
      screenAction('not-spam', undefined, { prepare: spam }),
      screenAction('block-sender'),
      screenAction('unblock', (t) => ({ address: t.customer }), { prepare: blockSender }),
      screenAction('trash'),
      screenAction('restore', undefined, { prepare: trash }),
      screenAction('delete', undefined, { prepare: trash }),
      screenAction('ticket', () => ({ name: 'Follow up' })),
      screenAction('forward', () => ({ to: 'partner@example.org', note: 'FYI' }), { emailConversation: true }),
      // An API-channel conversation keeps no transcripts (400); the route's access is what is probed.
      screenAction('transcript', () => ({ to: 'visitor@example.org' }), { allowed: 400 }),
      screenAction('unlink-contact'),
      screenAction('ticket-update', () => ({ status: 'waiting-on-us', priority: 'high' }), { ticket: true }),
      screenAction('contact', () => ({ jobTitle: 'Buyer' })),
      screenAction('link-contact', (t) => ({ contactId: spareContacts.get(t.unique) ?? randomUUID() }), { prepare: spareContact }),
    ],
  },
  'GET /ui/conversations/:id/contact-picker': {
    access: 'member',
    surface: 'htmx',
    probes: [{ call: (t) => ({ url: `/ui/conversations/${t.conversationId}/contact-picker?q=customer` }), scope: conversationInPath, allowed: 200 }],
  },
  'POST /ui/card-properties': {
    access: 'admin',
    surface: 'htmx',
    probes: [{ call: () => ({ url: '/ui/card-properties?object=contact', form: { keys: ['emails', 'phones', 'company', 'jobTitle'] } }), allowed: 200 }],
  },
  'POST /ui/bulk': {
    access: 'member',
    surface: 'htmx',
    probes: [
      {
        call: (t) => ({ url: '/ui/bulk', form: { ids: [t.conversationId], action: 'close' } }),
        scope: { resource: 'conversation', via: 'form ids' },
        allowed: 200,
        outsider: { status: 200, why: 'the flash counts what could not be changed: the refused id reads exactly like an unknown one' },
      },
    ],
  },
  'POST /ui/me/availability': {
    access: 'member',
    surface: 'htmx',
    probes: [{ call: () => ({ url: '/ui/me/availability', form: { status: 'available' } }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'GET /ui/notifications/bell': {
    access: 'member',
    surface: 'htmx',
    probes: [{ call: () => ({ url: '/ui/notifications/bell' }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'GET /ui/notifications': {
    access: 'member',
    surface: 'htmx',
    probes: [{ call: () => ({ url: '/ui/notifications' }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'POST /ui/notifications/read-all': {
    access: 'member',
    surface: 'htmx',
    probes: [{ call: () => ({ url: '/ui/notifications/read-all', form: {} }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'POST /ui/notifications/:id/open': {
    access: 'member',
    surface: 'form',
    probes: [
      {
        // Only ever the caller's own notifications: one that is not theirs (or none) leads to the inbox.
        call: () => ({ url: `/ui/notifications/${randomUUID()}/open`, form: {} }),
        scope: { unscoped: SELF_PROFILE },
        allowed: 303,
        location: /^\/inbox$/,
      },
    ],
  },
  'GET /ui/me/notification-settings': {
    access: 'member',
    surface: 'htmx',
    probes: [{ call: () => ({ url: '/ui/me/notification-settings' }), scope: { unscoped: SELF_PROFILE }, allowed: 200 }],
  },
  'POST /settings/routing': {
    access: 'admin',
    surface: 'htmx',
    probes: [
      {
        call: (t) => ({ url: `/settings/routing?inbox=${t.inboxId}`, form: { mode: 'round-robin', channels: ['chat'], defaultCapacity: '3' } }),
        allowed: 200,
        ...ACTS_ON_NAMED_INBOX,
      },
    ],
  },
  'POST /settings/business-hours': {
    access: 'admin',
    surface: 'htmx',
    probes: [
      {
        call: (t) => ({
          url: `/settings/business-hours?inbox=${t.inboxId}`,
          form: { enabled: 'true', timeZone: 'Europe/Amsterdam', 'hours.mon': '09:00-17:00' },
        }),
        allowed: 200,
        ...ACTS_ON_NAMED_INBOX,
      },
    ],
  },
  'GET /settings/bots': {
    access: 'admin',
    surface: 'htmx',
    probes: [{ call: (t) => ({ url: `/settings/bots?inbox=${t.inboxId}` }), allowed: 200, ...ACTS_ON_NAMED_INBOX }],
  },
  'POST /settings/bots': {
    access: 'admin',
    surface: 'htmx',
    probes: [
      { call: (t) => ({ url: `/settings/bots?inbox=${t.inboxId}`, form: { name: `Bot ${t.unique}`, kind: 'flow' } }), allowed: 200, ...ACTS_ON_NAMED_INBOX },
    ],
  },
  'POST /settings/bots/:id/:action': {
    access: 'admin',
    surface: 'htmx',
    probes: [
      {
        variant: 'save',
        call: (t) => ({ ...botSettingsAction('save')(t), form: { name: `Renamed ${t.unique}` } }),
        prepare: flowBot,
        allowed: 200,
        ...ACTS_ON_NAMED_INBOX,
      },
      // The bot the API's activate probe made the only active one (one active bot per inbox): activating it again is allowed.
      {
        variant: 'activate',
        call: (t) => ({ url: `/settings/bots/${activeBot ?? randomUUID()}/activate?inbox=${t.inboxId}`, form: {} }),
        allowed: 200,
        ...ACTS_ON_NAMED_INBOX,
      },
      { variant: 'deactivate', call: botSettingsAction('deactivate'), prepare: flowBot, allowed: 200, ...ACTS_ON_NAMED_INBOX },
      { variant: 'token', call: botSettingsAction('token'), prepare: flowBot, allowed: 200, ...ACTS_ON_NAMED_INBOX },
      { variant: 'remove', call: botSettingsAction('remove'), prepare: flowBot, allowed: 200, ...ACTS_ON_NAMED_INBOX },
    ],
  },
  'POST /ui/me/notification-settings': {
    access: 'member',
    surface: 'htmx',
    probes: [
      {
        call: () => ({ url: '/ui/me/notification-settings', form: { 'mention.inApp': 'true', 'assigned.inApp': 'true', 'handoff.inApp': 'true' } }),
        scope: { unscoped: SELF_PROFILE },
        allowed: 200,
      },
    ],
  },
  'POST /ui/compose': {
    access: 'member',
    surface: 'htmx',
    probes: [
      {
        call: (t) => ({ url: `/ui/compose?inbox=${t.inboxId}`, form: { to: 'partner@example.org', subject: 'Hello', text: 'A new thread' } }),
        scope: inboxInQuery('inbox'),
        allowed: 200,
      },
    ],
  },
  'POST /ui/views': {
    access: 'member',
    surface: 'htmx',
    probes: [
      {
        call: (t) => ({ url: `/ui/views?inbox=${t.inboxId}&search=1&q=contract`, form: { name: `Saved ${t.unique}` } }),
        scope: inboxInQuery('inbox'),
        allowed: 200,
      },
    ],
  },
  'GET /events': {
    access: 'member',
    surface: 'stream',
    probes: [{ call: (t) => ({ url: `/events?inboxId=${t.inboxId}` }), scope: inboxInQuery('inboxId'), allowed: 200 }],
  },
};
