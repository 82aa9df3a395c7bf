// Settings shared by the k6 scripts, from `k6 run -e NAME=value` (or the environment).
export var BASE_URL = (__ENV.BASE_URL || 'http://localhost:8080').replace(/\/+$/, '');
export var PASSWORD = __ENV.PASSWORD || 'k6-load-password';
/** Prefix of the users and rooms a run creates; unique per run so runs never collide. */
export var RUN_ID = __ENV.RUN_ID || String(Date.now()).slice(-8);

export function intEnv(name, fallback) {
  var raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  var n = Number(raw);
  if (!isFinite(n) || n < 0) throw new Error(name + ' must be a non-negative number, got ' + raw);
  return Math.floor(n);
}
