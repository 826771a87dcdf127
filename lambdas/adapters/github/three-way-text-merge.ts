/**
 * A line-based three-way merge (diff3) of one text file, marking conflicts the
 * way git does (`<<<<<<< ours` / `=======` / `>>>>>>> theirs`). GitHub's merge
 * API reports only that a merge conflicts; this recovers which files do and what
 * they look like, for files small enough to diff in memory. Like git, changes to
 * adjacent lines conflict.
 */
export type TextMerge = { readonly clean: true; readonly content: string } | { readonly clean: false; readonly content: string };

export interface MergeLabels {
  readonly ours: string;
  readonly theirs: string;
}

/** Beyond this many lines a side the quadratic LCS is not worth it: the whole file is one conflict. */
const MAX_LINES = 5_000;

const splitLines = (text: string): string[] => (text === '' ? [] : text.split(/(?<=\n)/));

/** For each line of `base`, the index of the line of `side` it is matched with by a longest common subsequence. */
function matches(base: string[], side: string[]): (number | undefined)[] {
  const n = base.length;
  const m = side.length;
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i]![j] = base[i] === side[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
    }
  }
  const result: (number | undefined)[] = new Array<number | undefined>(n).fill(undefined);
  let [i, j] = [0, 0];
  while (i < n && j < m) {
    if (base[i] === side[j]) result[i++] = j++;
    else if (table[i + 1]![j]! >= table[i]![j + 1]!) i++;
    else j++;
  }
  return result;
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((line, index) => line === b[index]);
const terminated = (lines: string[]) => lines.map((line, index) => (index === lines.length - 1 && !line.endsWith('\n') ? `${line}\n` : line));

export function mergeText(base: string, ours: string, theirs: string, labels: MergeLabels): TextMerge {
  const [b, o, t] = [splitLines(base), splitLines(ours), splitLines(theirs)];
  if (ours === theirs) return { clean: true, content: ours };
  if (base === ours) return { clean: true, content: theirs };
  if (base === theirs) return { clean: true, content: ours };
  const conflict = (oc: string[], tc: string[]) => [`<<<<<<< ${labels.ours}\n`, ...terminated(oc), '=======\n', ...terminated(tc), `>>>>>>> ${labels.theirs}\n`];
  if (Math.max(b.length, o.length, t.length) > MAX_LINES) return { clean: false, content: conflict(o, t).join('') };

  const [toOurs, toTheirs] = [matches(b, o), matches(b, t)];
  const out: string[] = [];
  let clean = true;
  let [i, a, c] = [0, 0, 0];
  for (;;) {
    while (i < b.length && toOurs[i] === a && toTheirs[i] === c) {
      out.push(b[i]!);
      [i, a, c] = [i + 1, a + 1, c + 1];
    }
    if (i === b.length && a === o.length && c === t.length) break;
    let j = i;
    while (j < b.length && (toOurs[j] === undefined || toTheirs[j] === undefined)) j++;
    const [oEnd, tEnd] = j < b.length ? [toOurs[j]!, toTheirs[j]!] : [o.length, t.length];
    const [bc, oc, tc] = [b.slice(i, j), o.slice(a, oEnd), t.slice(c, tEnd)];
    if (same(oc, bc)) out.push(...tc);
    else if (same(tc, bc) || same(oc, tc)) out.push(...oc);
    else {
      clean = false;
      out.push(...conflict(oc, tc));
    }
    [i, a, c] = [j, oEnd, tEnd];
  }
  return { clean, content: out.join('') };
}
