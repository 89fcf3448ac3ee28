# Helpers shared by the scripts that start real servers (sourced, not run). Every script under
# scripts/ sources this file rather than writing its own copy of any of these.

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# A free TCP port on loopback.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# One line about this machine for benchmark results: cores, CPU model (and memory with
# `machine_summary --memory`).
machine_summary() {
  local line
  line="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  [ "${1:-}" = --memory ] && line="$line, $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "$line"
}

# Install a cargo subcommand when `cargo <name>` is missing: ensure_cargo_tool nextest cargo-nextest
ensure_cargo_tool() {
  cargo "$1" --version >/dev/null 2>&1 && return 0
  echo "==> installing $2"
  cargo install "$2" --locked
}

# Wait until URL answers with a success, trying every 0.2 s up to TRIES times (default 150, 30 s);
# with PID, give up at once if that process has stopped. Fails when it never answered.
wait_for_url() {
  local url="$1" tries="${2:-150}" pid="${3:-}"
  for _ in $(seq 1 "$tries"); do
    curl -fs -o /dev/null "$url" 2>/dev/null && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.2
  done
  return 1
}

# Stop a background process this script started and reap it (quietly if it is gone already).
stop_process() {
  [ -n "${1:-}" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Whether Python's aiosmtpd (the SMTP server of the mail tests and scripts) is installed.
have_aiosmtpd() { /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; }

# Fail unless it is.
require_aiosmtpd() {
  have_aiosmtpd && return 0
  echo "python3-aiosmtpd is needed: apt-get install -y python3-aiosmtpd (scripts/test installs it)" >&2
  exit 1
}

# A local SMTP server (aiosmtpd) on PORT storing every message in the Maildir DIR, its output in
# LOG (default: discarded); sets SMTP_PID and returns once the port accepts connections.
start_smtp() {
  local port="$1" dir="$2" log="${3:-/dev/null}"
  /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$dir" >"$log" 2>&1 &
  SMTP_PID=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "the SMTP server did not start" >&2
  exit 1
}

# A new PostgreSQL database NAME on the server of the URL ADMIN_URL (which names any database of
# it); prints the new database's URL.
pg_create_db() {
  psql "$1" -qc "create database $2" >/dev/null || return 1
  echo "${1%/*}/$2"
}

# Drop the database NAME on the server of ADMIN_URL, with its connections; never fails.
pg_drop_db() { psql "$1" -qc "drop database if exists $2 with (force)" >/dev/null 2>&1 || true; }

# An API token for the counselor EMAIL, made by the kintsugi binary BIN (run where it finds the
# database, in the environment or the current folder): api_token BIN EMAIL [more api-token args]
api_token() {
  local bin="$1" email="$2"
  shift 2
  "$bin" api-token --email "$email" "$@" | grep -o 'kgi_[A-Za-z0-9_-]*' | head -1
}

# Sign in through the sign-in page of BASE with EMAIL and PASSWORD, keeping the session in the
# curl cookie jar JAR (started afresh); prints the HTTP status of the sign-in (303 when it worked).
sign_in_jar() {
  local base="$1" jar="$2" email="$3" password="$4" csrf
  rm -f "$jar"
  csrf=$(curl -fs -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//; s/"$//') || true
  if [ -z "$csrf" ]; then
    echo "no CSRF token on $base/login" >&2
    echo 000
    return 0
  fi
  curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -H "Origin: $base" \
    --data-urlencode "csrf=$csrf" --data-urlencode "email=$email" \
    --data-urlencode "password=$password" "$base/login"
}

# A time zone where it is now between 10:00 and 18:59: client emails wait for the partner's
# waking hours, so scripts that expect them give partners such a zone.
daytime_zone() {
  /usr/bin/python3 -c '
from datetime import datetime; from zoneinfo import ZoneInfo
for z in ["Europe/Berlin", "America/New_York", "America/Los_Angeles", "Pacific/Honolulu",
          "Pacific/Auckland", "Asia/Tokyo", "Asia/Kolkata"]:
    if 10 <= datetime.now(ZoneInfo(z)).hour <= 18: print(z); break'
}

# The sign-in form's CSRF token from BASE/login, with its cookie kept in the curl cookie jar
# JAR. Further arguments go to curl (e.g. --interface 127.0.0.9 to come from another address).
login_csrf() {
  local base=$1 jar=$2
  shift 2
  curl -fs --max-time 10 "$@" -c "$jar" -b "$jar" "$base/login" |
    grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'
}

# The cookies of a curl cookie jar as one Cookie header value (HttpOnly ones included).
jar_cookie() {
  /usr/bin/python3 - "$1" <<'PY'
import sys
pairs = []
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("#HttpOnly_"):
        line = line[len("#HttpOnly_"):]
    elif not line or line.startswith("#"):
        continue
    f = line.split("\t")
    if len(f) >= 7:
        pairs.append(f"{f[5]}={f[6]}")
print("; ".join(pairs))
PY
}

# A couple's JSON for the API: LABEL and each partner's name and email, both in ZONE.
# couple_body LABEL ZONE INVOLVED_NAME INVOLVED_EMAIL HURT_NAME HURT_EMAIL
couple_body() {
  printf '{"label": "%s", "open_agreement": false, "partners": [%s, %s]}' "$1" \
    "$(printf '{"role": "involved", "name": "%s", "email": "%s", "timezone": "%s"}' "$3" "$4" "$2")" \
    "$(printf '{"role": "hurt", "name": "%s", "email": "%s", "timezone": "%s"}' "$5" "$6" "$2")"
}

# wrk from Debian, installed when missing (the package lists are refreshed only if needed).
ensure_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  echo "==> installing wrk (Debian)"
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || {
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  }
}
