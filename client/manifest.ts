/**
 * Reading a storyboard's manifest (`<storyboardId>/manifest.json`, written when the storyboard
 * finishes) from storage: what a service does after `followStoryboard` or a child's result
 * that left the shots out (more than 1,000 of them).
 */
import { storyboardKeys, type ManifestEntry } from '../common/storyboard';
import type { StorageBackend } from '../storage/backend';

/** `manifest.json` as the storyboard's last run wrote it. */
export interface StoryboardManifest {
  storyboardId: string;
  /** ISO time of writing. */
  writtenAt: string;
  totalShots: number;
  /** One entry per shot, in storyboard order. */
  shots: ManifestEntry[];
}

/**
 * The manifest of a finished storyboard, or null when none is written yet.
 *
 * @example
 * ```ts
 * const manifest = await readManifest(sf.storage, 'lighthouse-keeper');
 * const stored = manifest?.shots.filter((s) => s.status === 'stored').length;
 * ```
 */
export async function readManifest(storage: StorageBackend, storyboardId: string): Promise<StoryboardManifest | null> {
  const text = await storage.readText(storyboardKeys.manifest(storyboardId));
  return text === null ? null : (JSON.parse(text) as StoryboardManifest);
}
