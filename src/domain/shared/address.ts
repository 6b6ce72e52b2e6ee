/**
 * Sender addresses. Email addresses are compared case-insensitively; other channels
 * (chat visitor ids, phone numbers, Messenger PSIDs) are opaque and only trimmed.
 */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  return trimmed.includes('@') ? trimmed.toLowerCase() : trimmed;
}

/**
 * Role (group) mailboxes: mail from these is almost always bulk or automated, so it lands in
 * Spam instead of the team's queue (DESIGN "Spam" view). Local parts, compared lower-case,
 * with common separators ignored ("no-reply" = "noreply").
 */
export const ROLE_LOCAL_PARTS: readonly string[] = [
  'marketing',
  'sales',
  'info',
  'support',
  'noreply',
  'donotreply',
  'mailerdaemon',
  'postmaster',
  'newsletter',
  'newsletters',
  'news',
  'notifications',
  'notification',
  'bounce',
  'bounces',
  'admin',
  'administrator',
  'webmaster',
  'hostmaster',
  'abuse',
  'billing',
  'compliance',
  'unsubscribe',
  'list',
  'listrequest',
  'root',
  'security',
  'privacy',
  'sysadmin',
  'noc',
  'verkoop',
  'vertrieb',
  'ventas',
  'ventes',
  'vendite',
  'mailer',
];

const ROLE_SET = new Set(ROLE_LOCAL_PARTS);

export function isRoleAddress(address: string): boolean {
  const normalized = normalizeAddress(address);
  const at = normalized.lastIndexOf('@');
  if (at <= 0) return false;
  const local = normalized.slice(0, at).split('+')[0].replace(/[._-]/g, '');
  return ROLE_SET.has(local);
}

/** "@ana" or "@ana.lopez" handles in a comment, without the "@", lower-cased, de-duplicated. */
export function extractMentionHandles(text: string): string[] {
  const handles = new Set<string>();
  for (const match of text.matchAll(/(^|[^\w@])@([\p{L}\p{N}][\p{L}\p{N}._-]{0,63})/gu)) {
    handles.add(match[2].replace(/[._-]+$/, '').toLowerCase());
  }
  return [...handles];
}

/**
 * An email address as a helpdesk needs it: one "@", no spaces, a non-empty local part and domain.
 * Dotless domains are allowed on purpose (support@localhost, intranet hosts).
 */
export function isEmailAddress(value: string): boolean {
  return /^[^\s@]+@[^\s@]+$/.test(value) && value.length <= 254;
}
