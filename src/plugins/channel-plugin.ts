import type { ChannelConnection, InboundMessage, IngestOptions, IngestResult } from '../application/ports/channel.port';

/**
 * The public surface a channel plugin may use (a fuller interface with capabilities, send() and
 * route mounting arrives with the plugin issue). Plugins import only from here.
 */
export type { ChannelConnection, InboundMessage, IngestOptions, IngestResult };
export { CHANNEL_CONNECTION } from '../application/ports/channel.port';

/** On a route the host authenticates, the request carries the agent the session belongs to. */
export interface HostAuthenticatedRequest {
  agent?: { id: string; name: string; email: string; role: 'admin' | 'agent' };
}
