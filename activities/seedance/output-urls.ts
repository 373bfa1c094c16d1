/**
 * Output URLs from provider answers travel into workflow history (the poll's snapshot) and
 * then to the copy. An answer may be up to 4 MiB, so one absurd URL could exceed Temporal's
 * 2 MB payload limit and break the poll itself; real signed links are a few hundred
 * characters. Longer ones are dropped here, with the reason kept for the failure message.
 */

/** Far above any real signed link, far below a payload limit. */
export const MAX_OUTPUT_URL_CHARS = 8192;

/** The URLs that fit, and why any were dropped. */
export function boundedOutputUrls<K extends string>(
  urls: Partial<Record<K, string | undefined>>,
): {
  urls: Partial<Record<K, string>>;
  refused?: string;
} {
  const kept: Partial<Record<K, string>> = {};
  const dropped: string[] = [];
  for (const [name, url] of Object.entries(urls) as [K, string | undefined][]) {
    if (url === undefined) continue;
    if (url.length > MAX_OUTPUT_URL_CHARS)
      dropped.push(`${name} is ${url.length} characters, over the ${MAX_OUTPUT_URL_CHARS}-character limit`);
    else kept[name] = url;
  }
  return { urls: kept, ...(dropped.length ? { refused: dropped.join('; ') } : {}) };
}
