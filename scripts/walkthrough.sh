#!/usr/bin/env bash
# The README walk-through: login → file → review → declare → trip, against `make demo`.
set -euo pipefail
API=${API:-http://127.0.0.1:8080/api/v1}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }
post() { curl -sf -X POST "$API$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$2"; }

# 1. A driver logs in from the mini-program (the demo fake WeChat accepts any code demo-<name>).
TOKEN=$(curl -sf -X POST "$API/auth/wx-login" -H 'Content-Type: application/json' \
  -d '{"code": "demo-alice"}' | json 'd["token"]')
echo "driver token: ${TOKEN:0:8}…"

# 2. What does a personal filing need?
curl -sf "$API/filings/requirements?category=personal" -H 'Accept-Language: en' \
  | json '[x["kind"] for x in d["documents"]] + [x["kind"] + "#1" for x in d["driver_documents"]]'

# 3. Upload the photos (any JPEG here; real ones are read by OCR).
"${PYTHON:-.venv/bin/python}" -c "from PIL import Image; Image.new('RGB', (640, 480), 'navy').save('/tmp/bp-photo.jpg')"
DOCS=""
for slot in vehicle_licence photo_front_45 photo_rear_45 photo_side vin_plate \
            id_card_front#1 id_card_back#1 driving_licence#1 exit_entry_permit#1; do
  id=$(curl -sf -X POST "$API/documents" -H "Authorization: Bearer $TOKEN" \
       -F "kind=${slot%#*}" -F "file=@/tmp/bp-photo.jpg;type=image/jpeg" | json 'd["id"]')
  DOCS="$DOCS\"$slot\": $id,"
done

# 4. Create the filing with its vehicle, owner and driver, and submit it.
FILING=$(post /filings "{
  \"category\": \"personal\",
  \"vehicle\": {\"plate_number\": \"云N12345\", \"vin\": \"LSVAM41827C221836\",
    \"vehicle_type\": \"小型轿车\", \"model\": \"大众牌SVW7182\", \"owner_name\": \"岩温\",
    \"register_date\": \"2019-05-01\", \"licence_kind\": \"paper\", \"mortgaged\": false},
  \"owner\": {\"id_number\": \"533102198503140218\", \"is_applicant\": true},
  \"drivers\": [{\"name\": \"岩温\", \"id_number\": \"533102198503140218\",
    \"licence_number\": \"533102198503140218\", \"permit_number\": \"C12345678\",
    \"phone\": \"13812345678\", \"is_owner\": true}],
  \"documents\": {${DOCS%,}}}" | json 'd["id"]')
post "/filings/$FILING/submit" '{}' | json '("filing", d["id"], d["status"])'

# 5. A reviewer (demo staff, password demo-pass-123) sees the queue and approves.
DRIVER_TOKEN=$TOKEN
TOKEN=$(curl -sf -X POST "$API/auth/staff-login" -H 'Content-Type: application/json' \
  -d '{"username": "reviewer", "password": "demo-pass-123"}' | json 'd["token"]')
curl -sf "$API/review/queue" -H "Authorization: Bearer $TOKEN" \
  | json '[(i["id"], i["waited_office_seconds"]) for i in d["items"]]'
post "/review/filings/$FILING/approve" '{}' | json '("approved until", d["expires_at"])'

# 6. The driver declares the exit; the trip's deadline is 3 months away at most.
TOKEN=$DRIVER_TOKEN
DRIVER=$(curl -sf "$API/filings/$FILING" -H "Authorization: Bearer $TOKEN" \
  | json 'd["drivers"][0]["id"]')
curl -sf -X POST "$API/declarations" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -H "Idempotency-Key: exit-$FILING" \
  -d "{\"filing_id\": $FILING, \"driver_id\": $DRIVER, \"direction\": \"exit\", \"port\": \"ruili\"}" \
  | json '("declaration", d["id"], d["direction"], d["status"])'
curl -sf "$API/trips" -H "Authorization: Bearer $TOKEN" \
  | json '[(t["status"], t["deadline"], t["days_left"]) for t in d["items"]]'
