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
