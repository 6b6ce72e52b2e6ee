import { PLUGIN_ID_PATTERN, type ChannelCapabilities, type ChannelPlugin } from './channel-plugin';

export const CAPABILITY_NAMES: readonly (keyof ChannelCapabilities)[] = ['reply', 'html', 'attachments', 'transcript', 'switchToEmail', 'forward', 'compose'];
/** Capabilities added later: a plugin may leave them out (false), or declare them true or false. */
export const OPTIONAL_CAPABILITY_NAMES: readonly (keyof ChannelCapabilities)[] = ['choices', 'templates', 'cc'];

/**
 * What is wrong with a value that claims to be a ChannelPlugin, one sentence per problem naming
 * the field; [] when it is a valid plugin. The host refuses to start with a plugin that has any
 * problem, and the conformance kit runs the same check.
 */
export function pluginShapeProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [`a channel plugin is an object, got ${describe(value)}`];
  const plugin = value as Partial<Record<keyof ChannelPlugin, unknown>>;
  const problems: string[] = [];
  const id = plugin.id;
  if (typeof id !== 'string' || !PLUGIN_ID_PATTERN.test(id)) {
    problems.push(`id must be lower-case letters, digits and dashes, starting with a letter, at most 40 characters (got ${describe(id)})`);
  }
  if (typeof plugin.displayName !== 'string' || plugin.displayName.trim() === '')
    problems.push(`displayName must be a non-empty string (got ${describe(plugin.displayName)})`);
  if (typeof plugin.icon !== 'string' || !/^\s*<svg[\s>]/i.test(plugin.icon) || !/<\/svg>\s*$/i.test(plugin.icon)) {
    problems.push('icon must be an inline SVG document, "<svg …>…</svg>"');
  }
  if (typeof plugin.channel !== 'string' || !PLUGIN_ID_PATTERN.test(plugin.channel)) {
    problems.push(`channel must be a channel name like "email" or the plugin's own id (got ${describe(plugin.channel)})`);
  }
  const capabilities = plugin.capabilities as Partial<Record<keyof ChannelCapabilities, unknown>> | undefined;
  if (typeof capabilities !== 'object' || capabilities === null) {
    problems.push(`capabilities must be an object with ${CAPABILITY_NAMES.join(', ')} (each true or false)`);
  } else {
    for (const name of CAPABILITY_NAMES) {
      if (typeof capabilities[name] !== 'boolean') problems.push(`capabilities.${name} must be true or false (got ${describe(capabilities[name])})`);
    }
    for (const name of OPTIONAL_CAPABILITY_NAMES) {
      if (capabilities[name] !== undefined && typeof capabilities[name] !== 'boolean')
        problems.push(`capabilities.${name} must be true or false, or left out (got ${describe(capabilities[name])})`);
    }
    const known: readonly string[] = [...CAPABILITY_NAMES, ...OPTIONAL_CAPABILITY_NAMES];
    const unknown = Object.keys(capabilities).filter((name) => !known.includes(name));
    if (unknown.length > 0) problems.push(`capabilities has unknown names: ${unknown.join(', ')} (known: ${known.join(', ')})`);
    if (capabilities.reply === true && typeof plugin.send !== 'function') problems.push('capabilities.reply is true, so send(outbound) must be a function');
    if (capabilities.reply === false && plugin.send !== undefined)
      problems.push('capabilities.reply is false, so there must be no send: declare reply: true or remove send');
  }
  if (capabilities?.templates === true && typeof plugin.templates !== 'function')
    problems.push('capabilities.templates is true, so templates(conversation) must be a function');
  if (plugin.replyWindow !== undefined && typeof plugin.replyWindow !== 'function')
    problems.push('replyWindow, when present, must be a function (conversation, now)');
  if (plugin.templates !== undefined && typeof plugin.templates !== 'function') problems.push('templates, when present, must be a function (conversation)');
  if (plugin.attachmentUrl !== undefined && typeof plugin.attachmentUrl !== 'function')
    problems.push('attachmentUrl, when present, must be a function (conversationId, attachment)');
  if (typeof plugin.connect !== 'function') problems.push('connect(connection) must be a function');
  if (plugin.disconnect !== undefined && typeof plugin.disconnect !== 'function') problems.push('disconnect, when present, must be a function');
  if (plugin.connectionSettings !== undefined) problems.push(...connectionSettingsProblems(plugin.connectionSettings));
  return problems;
}

const FIELD_TYPES = ['text', 'textarea', 'lines', 'checkbox', 'number', 'secret'];

/** `connectionSettings`, when present: what the host needs to store, check and show a channel's connections. */
function connectionSettingsProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [`connectionSettings, when present, must be an object (got ${describe(value)})`];
  const spec = value as Record<string, unknown>;
  const problems: string[] = [];
  if (!Array.isArray(spec.secrets) || spec.secrets.some((key) => typeof key !== 'string' || key === '')) {
    problems.push(`connectionSettings.secrets must be a list of setting names ([] for none) (got ${describe(spec.secrets)})`);
  }
  if (typeof spec.validate !== 'function') problems.push('connectionSettings.validate(settings, context) must be a function');
  if (spec.embedSnippet !== undefined && typeof spec.embedSnippet !== 'function')
    problems.push('connectionSettings.embedSnippet, when present, must be a function');
  if (spec.fields !== undefined) {
    if (!Array.isArray(spec.fields)) problems.push(`connectionSettings.fields, when present, must be a list (got ${describe(spec.fields)})`);
    else
      spec.fields.forEach((f: { key?: unknown; type?: unknown; label?: { en?: unknown } } | null, i) => {
        if (typeof f?.key !== 'string' || f.key === '') problems.push(`connectionSettings.fields[${i}].key must be a setting name`);
        if (!FIELD_TYPES.includes(f?.type as string))
          problems.push(`connectionSettings.fields[${i}].type must be one of ${FIELD_TYPES.join(', ')} (got ${describe(f?.type)})`);
        if (typeof f?.label?.en !== 'string') problems.push(`connectionSettings.fields[${i}].label must have an English text: { en: '…' }`);
      });
  }
  return problems;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'function') return 'a function';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

const ROUTE_SEGMENT = /^(?:[A-Za-z0-9._~-]+|:[A-Za-z][A-Za-z0-9_]*)$/;

/** The route path with its leading slashes removed, or null when it is not relative segments like "messages" or "forms/:formId/submissions". */
export function normaliseRoutePath(path: unknown): string | null {
  const relative = typeof path === 'string' ? path.replace(/^\/+/, '') : '';
  const valid = relative !== '' && relative.split('/').every((segment) => ROUTE_SEGMENT.test(segment) && segment !== '.' && segment !== '..');
  return valid ? relative : null;
}

/** Plugin job types: lower-case words like "poll" or "sync.contacts". */
export const JOB_TYPE_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;

/**
 * The app's own top-level paths (its controllers, the web UI and the API reference): a plugin with
 * pages must not have one of these as its id, or its pages would sit among (or shadow) Parley's own.
 */
export const RESERVED_PAGE_PREFIXES: readonly string[] = [
  'api',
  'ui',
  'channels',
  'assets',
  'events',
  'health',
  'metrics',
  'login',
  'logout',
  'setup',
  'settings',
  'inbox',
  'notifications',
  'reports',
  'docs',
];

/**
 * A page's headers unless its handler sets its own: nothing but the page's own origin, no framing
 * (a form embedded on a customer's site answers its own frame-ancestors), no referrer leaving.
 */
export const PAGE_DEFAULT_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
