// Close-match suggestions for unknown names ("did you mean"), shared by the simulators.

/** Levenshtein distance between two names. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Known names close to `name`, best first: within an edit distance of about a third of the
 * name's length (at least 2), or sharing the last path component.
 */
export function closeMatches(name: string, known: Iterable<string>, limit = 5): string[] {
  const wanted = name.toLowerCase();
  const leaf = wanted.slice(wanted.lastIndexOf('.') + 1);
  const budget = Math.max(2, Math.floor(wanted.length / 3));
  const scored: { name: string; score: number }[] = [];
  for (const k of known) {
    const lower = k.toLowerCase();
    const d = editDistance(wanted, lower);
    const sameLeaf = lower.slice(lower.lastIndexOf('.') + 1) === leaf;
    if (d <= budget || sameLeaf) scored.push({ name: k, score: sameLeaf ? Math.min(d, budget) : d });
  }
  scored.sort((x, y) => x.score - y.score || x.name.localeCompare(y.name));
  return scored.slice(0, limit).map((s) => s.name);
}

/** "Close matches: 'a', 'b'." or a list of a few known names when nothing is close. */
export function suggestionText(name: string, known: readonly string[]): string {
  const close = closeMatches(name, known);
  if (close.length > 0) return `Close matches: ${close.map((n) => `'${n}'`).join(', ')}.`;
  const some = known.slice(0, 8).map((n) => `'${n}'`);
  return known.length === 0 ? 'The design has no such names.' : `Known names include ${some.join(', ')}${known.length > 8 ? ', …' : ''}.`;
}
