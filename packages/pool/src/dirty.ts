/**
 * Watches the commands a borrower sends on a leased connection, so that release can tell
 * without a round trip whether the connection still looks like a fresh one.
 */
export class SessionState {
  /** The database selected now (ioredis's own bookkeeping follows SELECT too). */
  db: number;
  inMulti = false;
  watching = false;
  /** Something that `RESET` (plus re-auth/select/name) undoes: names, tracking, READONLY… */
  resettable = false;
  /** Something the connection should not survive: subscriptions, MONITOR, protocol switches. */
  fatal = false;
  /** Commands sent whose reply has not arrived (kept by the connection's command wrapper). */
  inFlight = 0;

  constructor(readonly baseDb: number) {
    this.db = baseDb;
  }

  /** Fresh again (after a successful reset). */
  clear(): void {
    this.db = this.baseDb;
    this.inMulti = false;
    this.watching = false;
    this.resettable = false;
    this.fatal = false;
  }

  /** True if the next borrower could notice anything. */
  get dirty(): boolean {
    return (
      this.fatal || this.resettable || this.inMulti || this.watching || this.db !== this.baseDb
    );
  }

  /** Update the state for one command about to be sent. */
  observe(name: string, args: readonly unknown[]): void {
    // ioredis's own methods send lowercase names; only `call('SELECT', …)` needs lowering.
    switch (name.charCodeAt(0) < 97 ? name.toLowerCase() : name) {
      case 'select':
        this.db = Number(args[0]);
        return;
      case 'multi':
        this.inMulti = true;
        return;
      case 'exec':
      case 'discard':
        this.inMulti = false;
        this.watching = false;
        return;
      case 'watch':
        this.watching = true;
        return;
      case 'unwatch':
        if (!this.inMulti) this.watching = false;
        return;
      case 'client': {
        const sub = String(args[0]).toLowerCase();
        if (sub === 'setname' || sub === 'tracking' || sub === 'reply' || sub.startsWith('no-')) {
          this.resettable = true;
        }
        return;
      }
      case 'readonly':
      case 'readwrite':
      case 'auth':
        this.resettable = true;
        return;
      case 'subscribe':
      case 'psubscribe':
      case 'ssubscribe':
      case 'monitor':
      case 'hello':
      case 'reset':
      case 'quit':
      case 'sync':
      case 'psync':
        this.fatal = true;
        return;
      default:
        return;
    }
  }
}
