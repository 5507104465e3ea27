/**
 * What the outbox store takes on disk (issue 20): the pages in use against `outbox_max_bytes`, a small
 * WAL, and free pages given back once the outbox is empty. Measured in docs/reliability.md (Chaos, the
 * 24 h outage): counting pages bounds the database file, the checkpoint interval bounds the WAL, the
 * vacuum gives the disk back after a backlog.
 */
import type Database from 'better-sqlite3';

/** [pages] the WAL is checkpointed into the database once it holds this many pages (SQLite's default: 1000). */
export const WAL_CHECKPOINT_PAGES = 128;
/** [bytes] the WAL is truncated to this size when it starts again after a checkpoint. */
export const WAL_LIMIT_BYTES = 512 * 1024;
/** [pages] free pages from which the file is shrunk (incremental vacuum) once the outbox is empty. */
export const VACUUM_FREE_PAGES = 16;
/**
 * [bytes] what the store's files may take on disk beyond `outbox_max_bytes`: the WAL (checkpointed every
 * {@link WAL_CHECKPOINT_PAGES} pages, plus the transaction that crosses it), its shared-memory index
 * (32 KiB) and the pages one insert takes before the drops that make room for it.
 */
export const STORE_DISK_ALLOWANCE_BYTES = 1024 * 1024;

/**
 * Sets the pragmas that keep the files small; call on a freshly opened connection, before any table is
 * created (auto_vacuum only takes effect on a new file; an older one is converted by {@link DiskBudget.shrink}).
 */
export function configureDisk(db: Database.Database): void {
  db.pragma('auto_vacuum = INCREMENTAL');
}

/** Pragmas that apply once the connection is in WAL mode. */
export function configureWal(db: Database.Database): void {
  // By default the WAL grows to 1,000 pages (about 4 MB) between checkpoints and keeps its largest size.
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
}

/** The database's page budget: `maxBytes` over the page size. */
export class DiskBudget {
  /** [pages] what the database may hold in use. */
  readonly budgetPages: number;
  private readonly usedStmt: Database.Statement<[], number>;
  private readonly freeStmt: Database.Statement<[], number>;

  constructor(
    private readonly db: Database.Database,
    maxBytes: number,
  ) {
    this.usedStmt = db
      .prepare(
        'SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count())',
      )
      .pluck() as unknown as Database.Statement<[], number>;
    this.freeStmt = db
      .prepare('SELECT freelist_count FROM pragma_freelist_count()')
      .pluck() as unknown as Database.Statement<[], number>;
    this.budgetPages = Math.floor(maxBytes / (db.pragma('page_size', { simple: true }) as number));
  }

  /**
   * Whether the pages in use (rows with their topic, index entries and B-tree slack, as SQLite counts
   * them, inside the current transaction too) exceed the budget.
   */
  over(): boolean {
    return this.usedStmt.get()! > this.budgetPages;
  }

  /** Whether the file (free pages included) is larger than the budget: a bound lowered, or an older file. */
  fileOver(): boolean {
    return (this.db.pragma('page_count', { simple: true }) as number) > this.budgetPages;
  }

  /**
   * Gives free pages back to the filesystem when there are at least {@link VACUUM_FREE_PAGES}: incremental
   * vacuum (a file made before auto_vacuum is converted by one VACUUM), then the WAL truncated. Call with
   * the outbox empty (the vacuum then moves almost nothing), or once at open for a file over the budget. Only space is at stake: a failure (disk
   * full) is ignored, the bound holds without it.
   */
  shrink(): void {
    if (this.db.inTransaction || this.freeStmt.get()! < VACUUM_FREE_PAGES) return;
    try {
      if (this.db.pragma('auto_vacuum', { simple: true }) !== 2) {
        this.db.pragma('auto_vacuum = INCREMENTAL');
        this.db.exec('VACUUM');
      } else this.db.pragma('incremental_vacuum');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // kept as it is
    }
  }
}
