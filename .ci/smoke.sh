#!/usr/bin/env bash
# Smoke runs of the real command line, checking exit codes and the logs they leave.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

herbx demo -o "$tmp/demo" > "$tmp/demo.out"
test "$(grep -c '"event_type":"specimen.failed"' "$tmp/demo/broken/events.jsonl")" -ge 4
grep -q '"event_type":"extraction.failed"' "$tmp/demo/broken/events.jsonl"
grep -q '"event_type":"extraction.completed"' "$tmp/demo/events.jsonl"
echo "smoke: demo ok"

# herbx extract: a healthy run on the shipped example images exits 0 within seconds...
images=${HERBX_SMOKE_IMAGES:-examples/images}
count() { jq -r '.event_type' "$1" | grep -cx "$2" || true; }
start=$(date +%s)
herbx extract "$images" --limit 5 -o "$tmp/ok" --plain > "$tmp/ok.out" 2> "$tmp/ok.err" || {
  echo "smoke: healthy extract failed with exit $?"; cat "$tmp/ok.err"; exit 1; }
test $(( $(date +%s) - start )) -lt 120
test "$(count "$tmp/ok/events.jsonl" extraction.started)" -eq 1
test "$(count "$tmp/ok/events.jsonl" specimen.processing)" -eq 5
test "$(count "$tmp/ok/events.jsonl" extraction.completed)" -eq 1
test "$(wc -l < "$tmp/ok/raw.jsonl")" -eq 5
jq -e '.status == "completed" and .counts.total == 5' "$tmp/ok/run.json" > /dev/null
echo "smoke: extract (healthy) ok"

# ...and a broken engine configuration stops after 5 specimens with exit 3 and one line.
expect_stop() {  # name, then the extract arguments
  local name=$1; shift
  set +e
  herbx extract "$images" --limit 5 -o "$tmp/$name" --quiet "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
  local rc=$?
  set -e
  test "$rc" -eq 3 || { echo "smoke: $name exited $rc, expected 3"; cat "$tmp/$name.err"; exit 1; }
  test "$(wc -l < "$tmp/$name.err")" -eq 1
  grep -q "stopped after 5 specimens" "$tmp/$name.err"
  local log="$tmp/$name/events.jsonl"
  test "$(count "$log" specimen.processing)" -eq 5
  test "$(count "$log" specimen.failed)" -eq 5
  test "$(count "$log" validation.checkpoint)" -eq 1
  test "$(count "$log" extraction.failed)" -eq 1
  jq -e '.status == "stopped"' "$tmp/$name/run.json" > /dev/null
  echo "smoke: extract ($name) stopped at 5 ok"
}
expect_stop broken-simulate --engine simulate --set engines.simulate.success_rate=0
HERBX_API_KEY=smoke-dummy-key expect_stop dead-endpoint --engine openai \
  --set 'engines.openai.base_url="http://127.0.0.1:9/v1"' --set engines.openai.max_retries=0
if grep -rq smoke-dummy-key "$tmp/dead-endpoint"; then echo "smoke: API key leaked"; exit 1; fi
echo "smoke: extract ok"
