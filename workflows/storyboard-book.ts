/**
 * The page book: renderStoryboard reads staged shots a page at a time and writes their
 * outcomes back a page at a time, so neither a 10,000-shot storyboard nor its results ever
 * sit in one history. A page stays open from its load until every shot on it has an
 * outcome, then it is flushed (recorded) and forgotten.
 */
import type { PageShot } from '../activities/storyboard/activities';
import { STAGE_PAGE_SIZE, type ManifestEntry, type StoryboardCarry } from '../common/storyboard';
import { loadShotPage, recordOutcomes } from './storyboard-activities';

interface OpenPage {
  shots: PageShot[];
  /** Outcomes so far, by position on the page. */
  entries: (ManifestEntry | undefined)[];
  /** Shots on the page without an outcome yet. */
  open: number;
}

const pageOf = (index: number) => Math.floor(index / STAGE_PAGE_SIZE);

/** The open pages of one run, and the outcome records it has sent. */
export class PageBook {
  private readonly pages = new Map<number, OpenPage>();
  private readonly flushes: Promise<void>[] = [];

  /** `partial`: the page an earlier run ended in, with the outcomes it had (see StoryboardCarry). */
  constructor(
    private readonly storyboardId: string,
    private readonly stagedPrefix: string,
    private readonly partial: StoryboardCarry['partial'],
  ) {}

  /** The staged shot at `index`, reading its page first when it is not open. */
  async shotAt(index: number): Promise<PageShot | undefined> {
    const page = pageOf(index);
    let open = this.pages.get(page);
    if (!open) {
      const shots = await loadShotPage({ storyboardId: this.storyboardId, stagedPrefix: this.stagedPrefix, page });
      open = { shots, entries: shots.map(() => undefined), open: shots.length };
      if (this.partial?.page === page) {
        // Outcomes of this page's shots that an earlier run finished.
        for (const [i, e] of this.partial.entries.entries()) {
          if (e) {
            open.entries[i] = e;
            open.open--;
          }
        }
      }
      this.pages.set(page, open);
    }
    return open.shots[index % STAGE_PAGE_SIZE];
  }

  /** Gives the shot at `index` its outcome; its page must be open. */
  finish(index: number, entry: ManifestEntry): void {
    const page = pageOf(index);
    const open = this.pages.get(page);
    if (!open) throw new Error(`page ${page} finished before it was loaded`);
    this.settle(page, open, index, entry);
  }

  /** Marks the shot at `index` never launched (when its page is open). */
  markNotStarted(index: number, shotId: string): void {
    const page = pageOf(index);
    const open = this.pages.get(page);
    if (open) this.settle(page, open, index, { shotId, status: 'not_started' });
  }

  /** The outcomes so far of the open page `index` stands in (null: none yet), for the next run; undefined when it is not open. */
  openEntriesAt(index: number): { page: number; entries: (ManifestEntry | null)[] } | undefined {
    const page = pageOf(index);
    const open = this.pages.get(page);
    return open ? { page, entries: open.entries.map((e) => e ?? null) } : undefined;
  }

  /** Resolves once every flushed page is recorded. */
  flushed(): Promise<void[]> {
    return Promise.all(this.flushes);
  }

  private settle(page: number, open: OpenPage, index: number, entry: ManifestEntry): void {
    open.entries[index % STAGE_PAGE_SIZE] = entry;
    open.open--;
    if (open.open === 0) this.flush(page, open);
  }

  /** The one place outcomes are written: the page's entries, recorded, and the page forgotten. */
  private flush(page: number, open: OpenPage): void {
    this.flushes.push(recordOutcomes({ storyboardId: this.storyboardId, page, entries: open.entries as ManifestEntry[] }));
    this.pages.delete(page);
  }
}
