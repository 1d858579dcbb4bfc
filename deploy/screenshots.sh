#!/usr/bin/env bash
# Screenshots of the public dashboard (and of report HTML files) with headless Chromium, into
# target/screenshots/. Needs Debian's chromium (apt-get install -y chromium) and a running
# observatory (deploy/run-local.sh start), ideally with a dataset imported (essctl stats import).
#
#   deploy/screenshots.sh [DASHBOARD_URL] [REPORT.html...]
#
# DASHBOARD_URL defaults to http://127.0.0.1:8080. Each REPORT.html given (a report written by
# essctl) is captured too. Prints the files it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."

URL=${1:-http://127.0.0.1:8080}
(($# == 0)) || shift
OUT=target/screenshots
mkdir -p "$OUT"
command -v chromium >/dev/null 2>&1 || { echo "error: chromium is missing (apt-get install -y chromium)" >&2; exit 1; }
PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT

# shot NAME TARGET: one full-width PNG of TARGET (a URL or a file:// path).
shot() {
    local name=$1 target=$2
    timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
        --user-data-dir="$PROFILE" --window-size=1280,2400 --screenshot="$OUT/$name.png" "$target" \
        >/dev/null 2>&1 || { echo "error: chromium could not capture $target" >&2; return 1; }
    echo "$OUT/$name.png"
}

curl -fsS "$URL/healthz" >/dev/null 2>&1 || { echo "error: no dashboard answers at $URL/healthz (deploy/run-local.sh start)" >&2; exit 1; }
shot dashboard-accueil "$URL/"
shot dashboard-region-28 "$URL/territoires/region/28"
shot dashboard-basse-normandie "$URL/territoires/ancienne-region/25"
for dep in 14 50 61; do shot "dashboard-departement-$dep" "$URL/territoires/departement/$dep"; done
shot dashboard-ressources "$URL/ressources"
for report in "$@"; do
    [[ -f $report ]] || { echo "error: no report file $report" >&2; exit 1; }
    shot "report-$(basename "${report%.*}")" "file://$(realpath "$report")"
done
