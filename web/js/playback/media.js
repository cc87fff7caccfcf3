// Where the player's bytes come from. Segments are fetched by script for MSE, so they go with the
// session in the Authorization header (`fetchMedia`) and need no signed URL: no token in any footage
// URL the player asks for. What the browser itself fetches (a clip's <video src>, an export download)
// gets a short-lived signed URL from api.js (`bindMediaSrc`, `downloadSigned`), issue 15.

import { ApiError, getToken, toApiError } from '../api.js';

/** The URL the player fetches for a footage path (segment, clip): the path itself, never a token. */
export function mediaUrl(path) {
  return path;
}

/** GETs footage bytes (ArrayBuffer); errors carry the server's `{error: {code}}`. */
export async function fetchMedia(path, { signal } = {}) {
  const token = getToken();
  let res;
  try {
    res = await fetch(mediaUrl(path), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal,
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', String(err));
  }
  if (!res.ok) {
    const json = await res.json().catch(() => undefined);
    // As for any API call: the error in the user's language, and a 401 ends the session (login again).
    throw toApiError(res, json);
  }
  return res.arrayBuffer();
}
