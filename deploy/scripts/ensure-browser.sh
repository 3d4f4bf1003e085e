#!/usr/bin/env bash
# Make sure the browser tests' Chromium and a CJK font are installed: Debian's `chromium`
# (/usr/bin/chromium, driven by Playwright with that executable: Playwright's own browser downloads
# cannot be fetched here) and `fonts-wqy-microhei` (without a CJK font every Chinese character in a
# screenshot is a box). Installs only what is missing (`apt-get update` once, then one install), quietly
# through step.sh. Needs root, or sudo without a password. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-wqy-microhei 2>/dev/null | grep -q "install ok installed" || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "the browser tests need ${missing[*]}: run  sudo apt-get install -y ${missing[*]}  and try again" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "the browser tests need ${missing[*]} (Debian packages) and this machine has no apt-get" >&2
  exit 1
fi
"$here/step.sh" "updating the Debian package lists (apt-get update)" "${as_root[@]}" apt-get update
"$here/step.sh" "installing ${missing[*]} (apt-get)" \
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
