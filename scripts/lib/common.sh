# Helpers shared by the scripts that start real servers (sourced, not run).

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# A free TCP port on loopback.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

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

# wrk from Debian, installed when missing (the package lists are refreshed only if needed).
ensure_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  echo "==> installing wrk (Debian)"
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || {
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  }
}
