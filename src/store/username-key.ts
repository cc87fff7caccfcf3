/**
 * What makes two usernames one (`users.username_key`, unique): NFKC, so full-width `ｗａｎｇ` (a Chinese
 * input method types it as readily as `wang`) and a decomposed `É` are the plain forms, then case
 * folded as Unicode's case folding does for names (`Émile` = `émile`, `ΟΔΟΣ` = `οδοσ`, `Straße` =
 * `STRASSE`), then NFKC again (a case mapping may leave a form unnormalised). Decided here in
 * JavaScript, never by the database's lower(): SQLite's folds ASCII only and PostgreSQL's follows the
 * server's locale, so the same two names were one user on a city and two on a shop's embedded store.
 */
export function usernameKey(username: string): string {
  // Lower, upper, lower: lower alone keeps ß, ẞ and ς apart from ss and σ, which case folding joins.
  return username.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
}
