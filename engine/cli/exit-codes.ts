// sysexits(3) codes. Mail programs (mutt, git send-email, cron) read a sendmail's
// exit status with these meanings: 75 means "try again later", 64/65 "your fault".
// This module only names numbers; it never decides which one applies.
export const EX_OK = 0;
/** Command line usage error. */
export const EX_USAGE = 64;
/** The message (or other input data) was malformed. */
export const EX_DATAERR = 65;
/** An input (queue id, file) did not exist. */
export const EX_NOINPUT = 66;
/** Permission denied (smtp.privacy restrictmailq / restrictqrun). */
export const EX_NOPERM = 77;
/** An address does not resolve (sendmail -bv). */
export const EX_NOUSER = 67;
/** A service (the running engine) is unavailable. */
export const EX_UNAVAILABLE = 69;
/** An internal error. */
export const EX_SOFTWARE = 70;
/** A file that must be written cannot be created (the pid lock on a full disk). */
export const EX_CANTCREAT = 73;
/** An I/O error (spool write failed). */
export const EX_IOERR = 74;
/** Temporary failure; the caller should retry. */
export const EX_TEMPFAIL = 75;
/** Configuration error (config.json). */
export const EX_CONFIG = 78;

/** Malformed input data (a bad address in a message header): one line, exit 65. */
export class DataError extends Error {}

/** A usage error raised while parsing arguments; main prints it with the usage text. */
export class UsageError extends Error {
  constructor(message: string, public readonly usage?: string) {
    super(message);
  }
}
