# scripts/lib.sh -- shared by scripts/demo and scripts/test.  Sourced, not run.

# Debian packages Anxin builds and runs with.
AX_PACKAGES="build-essential cmake pkg-config ca-certificates
  libsqlite3-dev sqlite3 libpq-dev libjansson-dev libcurl4-openssl-dev libcsv-dev uuid-dev
  libutf8proc-dev zlib1g-dev libsodium-dev libiniparser-dev libxlsxwriter-dev
  libzip-dev libexpat1-dev
  libmicrohttpd-dev libgammu-dev gammu libsdl2-dev libsdl2-ttf-dev libpng-dev
  libopusfile-dev libopusenc-dev libespeak-ng-dev espeak-ng-data
  fonts-wqy-microhei unzip curl"

# Install the packages that are missing (apt-get update first), as root
# or through sudo.
ax_need_packages() {
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
      missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo "== installing:$missing"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
}

# Loop devices for the tests that turn a mounted ext4 file read-only
# (kiosk.store_readonly, e2e.central.disk_full): load the driver when
# /dev/loop-control is missing.  Without it those tests skip, which fails
# scripts/test unless they are in AX_ALLOW_SKIP.
ax_need_loop_devices() {
  [ -e /dev/loop-control ] && return 0
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo modprobe loop 2>/dev/null ||
    echo "== no loop devices (modprobe loop failed): the read-only disk tests will skip"
}

# ax_build DIR [cmake options...]: configure and build into DIR.
ax_build() {
  dir=$1
  shift
  cmake -S "$AX_ROOT" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j2
}

AX_ROOT=$(cd "$(dirname "$0")/.." && pwd)
