/**
 * @typedef {{ id: string, title: string, author: string, year: number }} Book
 */

/** @type {readonly Book[]} */
const CATALOGUE = [
  { id: 'dune', title: 'Dune', author: 'Frank Herbert', year: 1965 },
  { id: 'neuromancer', title: 'Neuromancer', author: 'William Gibson', year: 1984 },
  { id: 'hyperion', title: 'Hyperion', author: 'Dan Simmons', year: 1989 },
];

/** @returns {Book[]} every book, oldest first */
export function listBooks() {
  return [...CATALOGUE].sort((a, b) => a.year - b.year);
}

/**
 * @param {string} id
 * @returns {Book | undefined}
 */
export function findBook(id) {
  return CATALOGUE.find((book) => book.id === id);
}
