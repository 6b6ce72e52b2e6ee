/**
 * What the application needs of a channel plugin that admins connect to inboxes (its
 * `connectionSettings`), without knowing plugins: the plugin registry implements it.
 */
export const CHANNEL_CONNECTION_SPECS = Symbol('CHANNEL_CONNECTION_SPECS');

/** A connection as the plugin sees it: settings with secrets decrypted. */
export interface ConnectionForPlugin {
  id: string;
  inboxId: string;
  type: string;
  name: string;
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectionSpec {
  /** The plugin id. */
  type: string;
  displayName: string;
  /** Setting keys that are secrets. */
  secrets: readonly string[];
  /**
   * The plugin's own check; answers the settings to store. Bad settings reject with an
   * InvalidRequestError whose message starts with the field (`settings.allowedOrigins[1]: …`).
   */
  validate(settings: Record<string, unknown>, context: { inboxId: string; previous?: Record<string, unknown> }): Promise<Record<string, unknown>>;
  /** The settings form of Inbox settings, as the plugin declares it (channel-plugin.ts ConnectionSettingField); [] for none. */
  fields: readonly ConnectionField[];
  /** The HTML to paste into a website, when the plugin has one; null otherwise (or when it failed). */
  embedSnippet(connection: ConnectionForPlugin, publicUrl: string): string | null;
}

export interface ChannelConnectionSpecs {
  /** Null when no plugin has this id, or the plugin needs no per-inbox connections. */
  connectionSpec(type: string): ConnectionSpec | null;
  /** The ids of the plugins admins can connect, for error messages and the UI. */
  connectableTypes(): string[];
}

/** One setting of the settings form (the plugin's ConnectionSettingField). */
export interface ConnectionField {
  key: string;
  type: 'text' | 'textarea' | 'lines' | 'checkbox' | 'number' | 'secret';
  /** By language; `en` always there. */
  label: Readonly<Record<string, string>>;
  help?: Readonly<Record<string, string>>;
  generate?: boolean;
}
