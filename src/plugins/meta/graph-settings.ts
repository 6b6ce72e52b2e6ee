import { ConnectionSettingsError } from '../channel-plugin';
import { describe } from '../settings-checks';
import { DEFAULT_GRAPH_API_BASE_URL, DEFAULT_GRAPH_API_VERSION } from './graph';

/**
 * The `graphApiBaseUrl` setting of a Meta channel (Messenger, WhatsApp): an http(s) URL without
 * credentials, query or fragment, kept without trailing slashes; Meta's own when left out.
 */
export function checkGraphApiBaseUrl(value: unknown): string {
  if (value === undefined || value === null || value === '') return DEFAULT_GRAPH_API_BASE_URL;
  if (typeof value !== 'string' || value.length > 500)
    throw new ConnectionSettingsError('graphApiBaseUrl', `must be an http(s) URL like ${DEFAULT_GRAPH_API_BASE_URL} (got ${describe(value)})`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConnectionSettingsError('graphApiBaseUrl', `must be an http(s) URL like ${DEFAULT_GRAPH_API_BASE_URL} (got ${describe(value)})`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new ConnectionSettingsError(
      'graphApiBaseUrl',
      `must be an http(s) URL without credentials, query or fragment, like ${DEFAULT_GRAPH_API_BASE_URL} (got ${describe(value)})`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

/** Where a stored Meta connection calls the Graph API, read back defensively (Meta's defaults when missing). */
export function storedGraphApi(settings: Record<string, unknown>): { graphApiBaseUrl: string; apiVersion: string } {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    graphApiBaseUrl: text(settings.graphApiBaseUrl) ?? DEFAULT_GRAPH_API_BASE_URL,
    apiVersion: text(settings.apiVersion) ?? DEFAULT_GRAPH_API_VERSION,
  };
}
