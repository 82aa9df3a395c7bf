#!/bin/sh
# nginx for the compose cluster. Renders nginx.conf.template for every gateway
# replica (the placeholders are filled exactly as packages/testkit/src/nginx.ts does),
# starts nginx, and re-renders and reloads it whenever the set of replicas changes,
# so `docker compose up --scale gateway=N` needs nothing else.
#
# Discovery: each name in GATEWAY_HOSTS (the compose service name) resolves to the
# IPv4 address of every replica; each replica's GET /health names its replicaId, the
# prefix of its Engine.IO session ids that nginx routes on. Every replica that answers
# /health keeps a route for its sessions; only those whose GET /health/ready answers
# 200 (Redis and PostgreSQL reachable, not shutting down) get new sessions.
#
#   docker-entrypoint.sh            discover, render, run nginx and keep watching
#   docker-entrypoint.sh discover   print "<replicaId> <ip:port> ready|unready" per gateway that answers
#   docker-entrypoint.sh render F   print the config for the gateways listed in file F
set -eu

: "${NGINX_TEMPLATE:=/etc/nginx/chat/nginx.conf.template}"
: "${NGINX_RUN_DIR:=/tmp/nginx}"
: "${NGINX_BIN:=nginx}"
: "${LISTEN:=8080}"
: "${API_ADDRESS:=api:3000}"
: "${GATEWAY_HOSTS:=gateway}"
: "${GATEWAY_PORT:=3101}"
: "${DISCOVERY_INTERVAL:=5}"
: "${WEB_ROOT:=/usr/share/nginx/html}"
: "${MIME_TYPES:=/etc/nginx/mime.types}"
: "${WORKER_PROCESSES:=auto}"
: "${ACCESS_LOG:=off}"
: "${ERROR_LOG:=stderr}"
: "${REAL_IP_FROM:=}"
: "${PID_FILE:=$NGINX_RUN_DIR/nginx.pid}"
: "${TEMP_DIR:=$NGINX_RUN_DIR/tmp}"
export NGINX_TEMPLATE LISTEN API_ADDRESS WEB_ROOT MIME_TYPES WORKER_PROCESSES ACCESS_LOG ERROR_LOG PID_FILE TEMP_DIR REAL_IP_FROM

log() { echo "chat-nginx: $*" >&2; }

# Every IPv4 address the gateway names resolve to, one a line.
resolve_gateways() {
  for host in $GATEWAY_HOSTS; do
    getent ahostsv4 "$host" | awk '{ print $1 }' || true
  done | sort -u
}

# The replicaId in a gateway's /health JSON, or nothing when it does not answer.
probe() {
  curl -fsS --max-time 2 "http://$1:$GATEWAY_PORT/health" 2>/dev/null \
    | sed -n 's/.*"replicaId"[[:space:]]*:[[:space:]]*"\([A-Za-z0-9_-]*\)".*/\1/p' \
    || true
}

# Whether a gateway's /health/ready answers 200 (it may take new sessions).
is_ready() {
  curl -fsS --max-time 3 -o /dev/null "http://$1:$GATEWAY_PORT/health/ready" 2>/dev/null
}

# "<replicaId> <ip:port> ready|unready" for each gateway that answers, sorted (stable for comparison).
discover() {
  for ip in $(resolve_gateways); do
    id=$(probe "$ip")
    if [ -z "$id" ]; then
      log "gateway $ip:$GATEWAY_PORT did not answer /health with a replicaId; left out"
    elif is_ready "$ip"; then
      echo "$id $ip:$GATEWAY_PORT ready"
    else
      echo "$id $ip:$GATEWAY_PORT unready"
    fi
  done | sort
}

# "gw-a gw-b(unready) …" for the log.
describe_gateways() {
  awk '{ printf "%s%s ", $1, ($3 == "unready" ? "(unready)" : "") }' "$1"
}

# The API's addresses: nginx resolves API_ADDRESS only when it loads its config, so a
# restarted or scaled API (new IPs) needs a reload too.
api_addresses() {
  getent ahostsv4 "${API_ADDRESS%:*}" | awk '{ print $1 }' | sort -u | tr '\n' ' ' || true
}

# The template filled for the gateways listed in file $1 (lines "<replicaId> <ip:port> [ready|unready]");
# fails on a bad line, a bad REAL_IP_FROM entry or an unknown placeholder.
render() {
  awk -v gateways="$1" '
    function fail(msg) { print "chat-nginx: " msg > "/dev/stderr"; failed = 1; exit 1 }
    BEGIN {
      n = 0; nready = 0
      while ((getline line < gateways) > 0) {
        if (line == "") continue
        split(line, f, " ")
        if (f[1] !~ /^[A-Za-z0-9_-]+$/ || f[2] == "" || (f[3] != "" && f[3] != "ready" && f[3] != "unready")) fail("bad gateway line: " line)
        n++; id[n] = f[1]; addr[n] = f[2]; ready[n] = (f[3] != "unready"); nready += ready[n]
      }
      if (n == 0) fail("no gateways to route to")
      routes = ""; servers = ""; upstreams = ""
      for (i = 1; i <= n; i++) {
        name = id[i]; gsub(/[^A-Za-z0-9_]/, "_", name); name = "gateway_" name
        sep = (i > 1) ? "\n" : ""
        routes = routes sep "    \"~^" id[i] "\\.\" " name ";"
        upstreams = upstreams sep "  upstream " name " {\n    server " addr[i] ";\n    keepalive 8;\n  }"
        # New sessions go to the ready replicas; to every replica when none is ready.
        if (ready[i] || nready == 0) servers = servers (servers == "" ? "" : "\n") "    server " addr[i] " max_fails=1 fail_timeout=5s;"
      }
      # REAL_IP_FROM: trusted proxies in front, whose X-Forwarded-For/-Proto nginx believes.
      np = split(ENVIRON["REAL_IP_FROM"], proxies, /[ ,]+/)
      realip = ""; trusted = ""
      for (i = 1; i <= np; i++) {
        if (proxies[i] == "") continue
        if (proxies[i] !~ /^[0-9A-Fa-f:.]+(\/[0-9]+)?$/) fail("REAL_IP_FROM: not an address or CIDR: " proxies[i])
        realip = realip "  set_real_ip_from " proxies[i] ";\n"
        trusted = trusted "    " proxies[i] " 1;\n"
      }
      if (realip == "") realip = "  # No trusted proxy in front: the connecting address is the client.\n"
      else realip = realip "  real_ip_header X-Forwarded-For;\n  real_ip_recursive on;\n"
      split("WORKER_PROCESSES PID_FILE ERROR_LOG ACCESS_LOG MIME_TYPES TEMP_DIR LISTEN API_ADDRESS WEB_ROOT", keys, " ")
      for (k in keys) value[keys[k]] = ENVIRON[keys[k]]
      value["GATEWAY_SID_ROUTES"] = routes
      value["GATEWAY_SERVERS"] = servers
      value["GATEWAY_UPSTREAMS"] = upstreams
      value["REAL_IP"] = realip "  geo $realip_remote_addr $trusted_proxy {\n    default 0;\n" trusted "  }"
    }
    {
      out = ""; rest = $0
      while (match(rest, /[{][{][A-Z_]+[}][}]/)) {
        key = substr(rest, RSTART + 2, RLENGTH - 4)
        if (!(key in value)) fail("no value for {{" key "}}")
        out = out substr(rest, 1, RSTART - 1) value[key]
        rest = substr(rest, RSTART + RLENGTH)
      }
      print out rest
    }
    END { if (failed) exit 1 }
  ' "$NGINX_TEMPLATE"
}

# Renders the config for gateways file $1 into $2 and checks it with nginx -t.
build_config() {
  render "$1" > "$2.new" && "$NGINX_BIN" -t -q -p "$NGINX_RUN_DIR" -c "$2.new" && mv "$2.new" "$2"
}

run() {
  mkdir -p "$TEMP_DIR"
  conf="$NGINX_RUN_DIR/nginx.conf"
  current="$NGINX_RUN_DIR/gateways"
  found="$NGINX_RUN_DIR/gateways.found"

  until discover > "$found" && [ -s "$found" ]; do
    log "waiting for a gateway to answer on $GATEWAY_HOSTS:$GATEWAY_PORT"
    sleep 1
  done
  api_seen=$(api_addresses)
  build_config "$found" "$conf"
  mv "$found" "$current"
  log "routing to $(wc -l < "$current") gateway(s): $(describe_gateways "$current")"

  "$NGINX_BIN" -p "$NGINX_RUN_DIR" -c "$conf" -g 'daemon off;' &
  nginx_pid=$!
  # QUIT is nginx's graceful stop: open WebSockets close cleanly, requests finish.
  trap 'kill -QUIT "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" || true; exit 0' TERM INT QUIT

  while kill -0 "$nginx_pid" 2>/dev/null; do
    sleep "$DISCOVERY_INTERVAL" &
    wait $! || true
    discover > "$found" || true
    api_now=$(api_addresses)
    # An empty answer (DNS hiccup, every replica restarting) keeps the last known set.
    if [ -s "$found" ] && { ! cmp -s "$found" "$current" || [ "$api_now" != "$api_seen" ]; }; then
      if build_config "$found" "$conf"; then
        mv "$found" "$current"
        api_seen=$api_now
        kill -HUP "$nginx_pid"
        log "gateways or api changed; reloaded with $(wc -l < "$current") gateway(s): $(describe_gateways "$current")api: $api_now"
      else
        log "config for the new gateway set failed nginx -t; keeping the old one"
      fi
    fi
  done
  wait "$nginx_pid"
}

case "${1:-run}" in
  run) run ;;
  discover) discover ;;
  render) render "${2:?usage: docker-entrypoint.sh render GATEWAYS_FILE}" ;;
  *) exec "$@" ;;
esac
