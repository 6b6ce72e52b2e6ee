import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** The HKDF label of the connection-settings key: a key of its own, never the session-signing key itself. */
const HKDF_INFO = 'parley channel connection settings v1';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stored secret that cannot be decrypted: another instance key, or the value was altered. */
export class SettingsDecryptionError extends Error {
  constructor(
    readonly connectionId: string,
    readonly key: string,
  ) {
    super(
      `the secret settings.${key} of channel connection ${connectionId} cannot be decrypted: it was stored with another instance key ` +
        `(PARLEY_SECRET or <dataDir>/secret.key changed) or altered; set the secret again in Inbox settings`,
    );
    this.name = 'SettingsDecryptionError';
  }
}

/**
 * Encrypts the secret settings of channel connections at rest with the instance key (the one that
 * signs sessions: PARLEY_SECRET or <dataDir>/secret.key). AES-256-GCM under a key derived by HKDF
 * with its own label; each value as `v1:<iv>:<tag>:<ciphertext>` (base64url), its JSON encrypted,
 * bound to its connection and setting name (additional data), so a value copied onto another
 * connection or setting does not decrypt.
 */
export class SettingsCipher {
  private readonly key: Buffer;

  constructor(instanceSecret: string) {
    if (typeof instanceSecret !== 'string' || instanceSecret.length === 0) throw new Error('SettingsCipher needs the instance secret');
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(instanceSecret, 'utf8'), Buffer.alloc(0), HKDF_INFO, 32));
  }

  encrypt(connectionId: string, key: string, value: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(connectionId, key));
    const data = Buffer.concat([cipher.update(JSON.stringify(value ?? null), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join(':');
  }

  decrypt(connectionId: string, key: string, stored: unknown): unknown {
    const parts = typeof stored === 'string' ? stored.split(':') : [];
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SettingsDecryptionError(connectionId, key);
    try {
      const [, iv, tag, data] = parts.map((part, i) => (i === 0 ? Buffer.alloc(0) : Buffer.from(part, 'base64url')));
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(connectionId, key));
      decipher.setAuthTag(tag);
      return JSON.parse(Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8'));
    } catch {
      throw new SettingsDecryptionError(connectionId, key);
    }
  }
}

function additionalData(connectionId: string, key: string): Buffer {
  return Buffer.from(`${connectionId}\u0000${key}`, 'utf8');
}
