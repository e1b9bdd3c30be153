#!/usr/bin/env bash
# Install the Debian packages PlanDesk needs for a purpose, or print the exact command.
#   packaging/system-deps.sh test         Qt offscreen (make test)
#   packaging/system-deps.sh gui          real windows on X11 plus a CJK system font (make run)
#   packaging/system-deps.sh screenshots  gui + Xvfb (make screenshots)
#   packaging/system-deps.sh checks       PDF and workbook checks (pdftoppm, LibreOffice)
# With --optional as second argument a non-root user only gets the advice; the tests that need
# the packages then skip with a reason instead of failing.
set -euo pipefail
optional="${2:-}"

qt_offscreen="libegl1 libgl1 libfontconfig1 libglib2.0-0 libxkbcommon0 libdbus-1-3"
qt_x11="libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxcb-randr0 libxcb-xinerama0 libx11-xcb1"
fonts="fonts-wqy-microhei"

case "${1:-test}" in
  test) wanted="$qt_offscreen" ;;
  gui) wanted="$qt_offscreen $qt_x11 $fonts" ;;
  screenshots) wanted="$qt_offscreen $qt_x11 $fonts xvfb xauth" ;;
  checks) wanted="poppler-utils libreoffice-calc-nogui" ;;
  *) echo "usage: $0 test|gui|screenshots|checks" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian-like system; make sure the equivalents of: $wanted are installed"
  exit 0
fi

missing=""
for pkg in $wanted; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $pkg" ;;
  esac
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ]; then
  echo "system-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
else
  echo "PlanDesk needs these system packages:$missing" >&2
  echo "Run as administrator:  sudo $cmd" >&2
  [ "$optional" = "--optional" ] && exit 0
  exit 1
fi
