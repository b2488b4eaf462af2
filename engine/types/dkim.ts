// The DKIM part of the EngineApi contract (issue 15): types and the method list
// only; engine/dkim-api.ts implements them, engine/api.ts names them.
import type { DkimKey } from '../config/schema.ts';

type DkimKeyType = DkimKey['type'];

/** One finding of the DKIM/SPF/DMARC readiness check (engine/auth/readiness.ts). */
export interface ReadinessItem {
  level: 'ok' | 'warn' | 'error';
  item: 'dkim' | 'spf' | 'dmarc';
  detail: string;
  /** What to publish or change, when something is to be done (a zone-file line where one fits). */
  fix?: string;
}

/** One key as `mailstop dkim show` prints it. */
export interface DkimRecordInfo {
  domain: string;
  selector: string;
  type: DkimKeyType;
  /** Signs new mail; false = retired (rotation), still listed until removed. */
  signing: boolean;
  file: string;
  /** The zone-file line to publish; null when the key file is unusable (see error). */
  zone: string | null;
  /** The record's character-strings, as a DNS server would hold them. */
  strings: string[] | null;
  error?: string;
}

export interface DkimDomainInfo { domain: string; sign: boolean; keys: DkimRecordInfo[] }

export interface DkimKeygenOptions {
  selector?: string;
  /** 'both' makes an RSA and an Ed25519 key (two selectors). Default rsa. */
  type?: DkimKeyType | 'both';
  /** Allow a domain that is not among our sending domains. */
  force?: boolean;
}

export interface DkimApi {
  /** New key(s) for a domain; signing is switched on; older keys of the same type are retired (still listed). */
  dkimKeygen(domain: string, options?: DkimKeygenOptions): Promise<DkimRecordInfo[]>;
  /** Every key of one domain, or of all, with its record. */
  dkimShow(domain?: string): Promise<DkimDomainInfo[]>;
  /** Switch signing on or off for a domain (its keys stay). */
  dkimSetSigning(domain: string, sign: boolean): Promise<DkimDomainInfo>;
  /** Remove one key (a retired selector whose record is no longer published); deletes its file. */
  dkimRemove(domain: string, selector: string): Promise<DkimDomainInfo | null>;
  /** DKIM, SPF and DMARC records of a domain as the world sees them, and what to fix. */
  dkimCheck(domain: string): Promise<ReadinessItem[]>;
}

export const DKIM_API_METHODS = ['dkimKeygen', 'dkimShow', 'dkimSetSigning', 'dkimRemove', 'dkimCheck'] as const satisfies readonly (keyof DkimApi)[];

