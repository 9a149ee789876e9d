/**
 * The secrets scan: occurrences of each secret (and of each pattern, such as a sealed store password) in a file of
 * the run's output, read in chunks so a run's logs are never held in memory.
 */
import { createReadStream } from 'node:fs';

/**
 * Occurrences of each secret in a file, read in chunks with an overlap as long as the longest secret so one
 * cut across two chunks is still found. Patterns are searched per chunk (they are short, bounded tokens).
 */
export async function countSecrets(
  file: string,
  secrets: readonly string[],
  patterns: readonly RegExp[] = [],
): Promise<number> {
  const overlap = Math.max(0, ...secrets.map((secret) => secret.length)) + 64;
  let carried = '';
  let hits = 0;
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = carried + (chunk as string);
    // Count a hit only if it ends past the carried part: the overlap was already searched.
    for (const secret of secrets) {
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
        if (at + secret.length > carried.length) hits += 1;
      }
    }
    for (const pattern of patterns) {
      for (const match of text.matchAll(new RegExp(pattern.source, 'g'))) {
        if ((match.index ?? 0) + match[0].length > carried.length) hits += 1;
      }
    }
    carried = text.slice(-overlap);
  }
  return hits;
}
