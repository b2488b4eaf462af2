// What smtpd asks the policy stage at each step of a session. Policy answers
// questions and never writes (STYLE.md §1). Verdicts are values, evaluated left
// to right like Postfix restriction lists (STYLE.md §4).
import type { ClientInfo, Verdict } from '../contracts.ts';

export type { Verdict } from '../contracts.ts';

/** What the policy knows about the session so far. */
export interface PolicySession {
  client: ClientInfo;
  /** Local address/port the client connected to. */
  localAddress: string;
  sender?: string;
  /** Recipients already accepted in this transaction. */
  recipients: string[];
  /** Unknown-recipient count in this session (badRcptThrottle). */
  badRecipients: number;
}

export interface SmtpPolicy {
  onConnect(session: PolicySession): Promise<Verdict>;
  onHelo(session: PolicySession, helo: string): Promise<Verdict>;
  onMailFrom(session: PolicySession, sender: string): Promise<Verdict>;
  /** Relay control lives here: a recipient outside our domains needs a relay right. */
  onRcptTo(session: PolicySession, recipient: string): Promise<Verdict>;
  /** May this client relay (local machine, relay networks, AUTH, `Connect:` RELAY)? Asked for ETRN. */
  mayRelay?(session: PolicySession): Promise<boolean>;
}
