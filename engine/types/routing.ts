// The routing part of the EngineApi contract (issue 5 UI): pasted aliases parsed,
// the rewrite preview and the RoutingApi methods. Types (and the method list)
// only; engine/routing-api.ts implements them, engine/api.ts names them.
import type { FieldError, SettingsPatch } from '../contracts.ts';

export interface AliasProblem {
  line: number;
  /** 'error': the entry is not usable as written; 'warning': usable, but probably not meant. */
  severity: 'error' | 'warning';
  message: string;
}

/** Pasted /etc/aliases text, parsed: usable entries and every problem with its line. */
export interface AliasImport {
  entries: { name: string; targets: string[]; line: number }[];
  /** The usable entries as the settings' `aliases` table. */
  aliases: Record<string, string[]>;
  problems: AliasProblem[];
}

/** How one sample address leaves, under the saved rewrite settings or a draft of them. */
export type RewritePreview =
  | { ok: true; address: string; envelope: string; headerSender: string; headerRecipient: string }
  | { ok: false; errors: FieldError[] };

export interface RoutingApi {
  /** newaliases for a paste: parse aliases(5) text and report problems line by line. */
  parseAliases(text: string): Promise<AliasImport>;
  /** Envelope sender, From: and To: forms of `address`; `patch` = unsaved settings to try. */
  previewRewrite(address: string, patch?: SettingsPatch): Promise<RewritePreview>;
  /** Problems resolve would hit with these settings (saved + `patch`), by field path. Empty = fine. */
  checkRouting(patch?: SettingsPatch): Promise<FieldError[]>;
}

export const ROUTING_API_METHODS = ['parseAliases', 'previewRewrite', 'checkRouting'] as const satisfies readonly (keyof RoutingApi)[];
