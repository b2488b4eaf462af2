// Encryption of the smart-host password with Electron's safeStorage, which
// keeps its key in the OS keychain (macOS Keychain, Windows DPAPI, Linux
// libsecret/kwallet). Ciphertext travels as base64 so it fits a JSON store.
// Owns only that wrapping; what is stored where is settings-store.ts's job.
import { safeStorage } from 'electron';

export interface SecretBox {
  /** base64 ciphertext */
  encrypt(plain: string): string;
  decrypt(base64: string): string;
}

/**
 * The box, or null when there is no real encryption here. Call after the app's
 * `ready` (Linux only knows its backend then). On Linux `basic_text` means a
 * key hard-coded in Chromium — obfuscation, not encryption — so it counts as
 * unavailable and the password stays where the engine keeps it (config.json,
 * mode 0600), rather than pretending.
 */
export function safeStorageBox(platform: NodeJS.Platform = process.platform): SecretBox | null {
  if (!safeStorage.isEncryptionAvailable()) return null;
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') return null;
  return {
    encrypt: (plain) => safeStorage.encryptString(plain).toString('base64'),
    decrypt: (base64) => safeStorage.decryptString(Buffer.from(base64, 'base64')),
  };
}
