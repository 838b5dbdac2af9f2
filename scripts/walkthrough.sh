#!/usr/bin/env bash
# The README walk-through: login → file → review → declare → trip, against `make demo`.
# Runs from any directory; a request the server refuses prints its status and error, then stops.
# PLATE and VIN choose the vehicle (a second run with the same plate is refused: plate_already_filed).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
API=${API:-http://127.0.0.1:8080/api/v1}
PLATE=${PLATE:-云N12345}
VIN=${VIN:-LSVAM41827C221836}
LANGUAGE_TAG=${LANGUAGE_TAG:-en}  # the language of the server's messages (en, zh-CN, my)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
if ! "$PYTHON" -c "import PIL" 2>/dev/null; then
  echo "the walkthrough draws its photo with Pillow: run \`make setup\` in $ROOT, or set PYTHON" >&2
  exit 1
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# json EXPR: EXPR over the JSON on stdin (quietly fails on none: call has said why).
json() {
  python3 -c "import json,sys; t=sys.stdin.read(); t or sys.exit(1); d=json.loads(t); print(eval(sys.argv[1], {}, {'d': d}))" "$1"
}

# call METHOD PATH [curl options...]: the response body on stdout; on an HTTP error the
# server's status and error body go to stderr and the walkthrough stops.
call() {
  local method=$1 path=$2 status
  shift 2
  if ! status=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X "$method" "$API$path" \
       -H "Accept-Language: $LANGUAGE_TAG" ${TOKEN:+-H "Authorization: Bearer $TOKEN"} "$@"); then
    echo "cannot reach $API (is \`make demo\` running?)" >&2
    exit 1
  fi
  if [ "$status" -ge 400 ]; then
    echo "$method $path → HTTP $status:" >&2
    cat "$WORK/body" >&2; echo >&2
    if grep -q plate_already_filed "$WORK/body"; then
      echo "(this plate was filed by an earlier run: PLATE=云N54321 VIN=<another> $0)" >&2
    fi
    exit 1
  fi
  cat "$WORK/body"
}
post() { call POST "$1" -H 'Content-Type: application/json' -d "$2"; }
TOKEN=""

# 1. A driver logs in from the mini-program (the demo fake WeChat accepts any code demo-<name>).
TOKEN=$(post /auth/wx-login "{\"code\": \"demo-alice\", \"locale\": \"$LANGUAGE_TAG\"}" | json 'd["token"]')
echo "driver token: ${TOKEN:0:8}…"

# 2. What does a personal filing need?
call GET "/filings/requirements?category=personal" \
  | json '[x["kind"] for x in d["documents"]] + [x["kind"] + "#1" for x in d["driver_documents"]]'

# 3. Read the privacy notice and consent separately: identity documents need it (R-D1).
NOTICE=$(call GET "/privacy/notice?locale=$LANGUAGE_TAG" \
  | json '"{\"version\": \"%s\", \"locale\": \"%s\", \"text_sha256\": \"%s\", \"accepted\": true}" % (d["version"], d["locale"], d["sha256"])')
post /privacy/consent "$NOTICE" | json '"privacy consent: " + d["version"]'

# 4. Upload the photos (any JPEG here; real ones are read by OCR).
"$PYTHON" -c "import sys; from PIL import Image; Image.new('RGB', (640, 480), 'navy').save(sys.argv[1])" "$WORK/photo.jpg"
DOCS=""
for slot in vehicle_licence photo_front_45 photo_rear_45 photo_side vin_plate \
            id_card_front#1 id_card_back#1 driving_licence#1 exit_entry_permit#1; do
  id=$(call POST /documents -F "kind=${slot%#*}" -F "file=@$WORK/photo.jpg;type=image/jpeg" \
       | json 'd["id"]')
  DOCS="$DOCS\"$slot\": $id,"
done

# 5. Create the filing with its vehicle, owner and driver, and submit it.
FILING=$(post /filings "{
  \"category\": \"personal\",
  \"vehicle\": {\"plate_number\": \"$PLATE\", \"vin\": \"$VIN\",
    \"vehicle_type\": \"小型轿车\", \"model\": \"大众牌SVW7182\", \"owner_name\": \"岩温\",
    \"register_date\": \"2019-05-01\", \"licence_kind\": \"paper\", \"mortgaged\": false},
  \"owner\": {\"id_number\": \"533102198503140218\", \"is_applicant\": true},
  \"drivers\": [{\"name\": \"岩温\", \"id_number\": \"533102198503140218\",
    \"licence_number\": \"533102198503140218\", \"permit_number\": \"C12345678\",
    \"phone\": \"13812345678\", \"is_owner\": true}],
  \"documents\": {${DOCS%,}}}" | json 'd["id"]')
post "/filings/$FILING/submit" '{}' | json '("filing", d["id"], d["status"])'

# 6. A reviewer (demo staff, password demo-pass-123) sees the queue and approves.
DRIVER_TOKEN=$TOKEN
TOKEN=""
TOKEN=$(post /auth/staff-login '{"username": "reviewer", "password": "demo-pass-123"}' \
  | json 'd["token"]')
call GET /review/queue \
  | json '[(i["id"], i["waited_office_seconds"]) for i in d["items"]]'
post "/review/filings/$FILING/approve" '{}' | json '("approved until", d["expires_at"])'

# 7. The driver declares the exit. A declaration is intent: the trip (and its deadline,
#    3 months at most) opens only when an exit lane records the crossing, so the list of
#    trips stays empty here until the pass is scanned (`borderpass lane-sim`, a lane).
TOKEN=$DRIVER_TOKEN
DRIVER=$(call GET "/filings/$FILING" \
  | json 'd["drivers"][0]["id"]')
call POST /declarations \
  -H 'Content-Type: application/json' -H "Idempotency-Key: exit-$FILING" \
  -d "{\"filing_id\": $FILING, \"driver_id\": $DRIVER, \"direction\": \"exit\", \"port\": \"ruili\"}" \
  | json '("declaration", d["id"], d["direction"], d["status"])'
call GET /trips \
  | json '[(t["status"], t["deadline"], t["days_left"]) for t in d["items"]]'
