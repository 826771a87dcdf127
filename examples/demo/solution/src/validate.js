/**
 * Reads the star rating from a request body: a whole number from 1 to 5.
 *
 * @param {unknown} body the parsed JSON body
 * @returns {{ ok: true, stars: number } | { ok: false, error: string }}
 */
export function parseStars(body) {
  const stars = typeof body === 'object' && body !== null ? /** @type {{ stars?: unknown }} */ (body).stars : undefined;
  if (typeof stars !== 'number' || !Number.isInteger(stars) || stars < 1 || stars > 5) {
    return { ok: false, error: 'stars must be a whole number from 1 to 5' };
  }
  return { ok: true, stars };
}
