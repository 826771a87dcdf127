/**
 * @typedef {{ count: number, average: number | null }} RatingSummary
 */

/**
 * Ratings kept in memory, per book: enough for one process, and the seam a
 * database would replace.
 */
export function createRatingsStore() {
  /** @type {Map<string, number[]>} */
  const byBook = new Map();
  return {
    /**
     * @param {string} bookId
     * @param {number} stars
     */
    add(bookId, stars) {
      const list = byBook.get(bookId) ?? [];
      list.push(stars);
      byBook.set(bookId, list);
    },
    /**
     * @param {string} bookId
     * @returns {RatingSummary}
     */
    summary(bookId) {
      const list = byBook.get(bookId) ?? [];
      if (list.length === 0) return { count: 0, average: null };
      const total = list.reduce((sum, stars) => sum + stars, 0);
      return { count: list.length, average: Math.round((total / list.length) * 10) / 10 };
    },
  };
}
