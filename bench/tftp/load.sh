#!/bin/bash
# Load generator for bench/tftp.ts: N workers start together; each downloads FILE M times in a row with a fresh
# client process (as a fleet of PXE clients would), discarding the data. Prints "ok bad" at the end.
# usage: load.sh <N> <M> <curl|curl1468|bb|bb1468> <host> <port> <file> <expected-size>
set -u
N=$1 M=$2 CLIENT=$3 HOST=$4 PORT=$5 FILE=$6 SIZE=$7
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
worker() {
  local j
  for ((j = 0; j < M; j++)); do
    case $CLIENT in
      curl) curl -s -o /dev/null -w '%{size_download} %{exitcode}\n' "tftp://$HOST:$PORT/$FILE" ;;
      curl1468) curl -s -o /dev/null --tftp-blksize 1468 -w '%{size_download} %{exitcode}\n' "tftp://$HOST:$PORT/$FILE" ;;
      bb) busybox tftp -g -r "$FILE" -l /dev/null "$HOST" "$PORT" 2>/dev/null; echo "- $?" ;;
      bb1468) busybox tftp -g -b 1468 -r "$FILE" -l /dev/null "$HOST" "$PORT" 2>/dev/null; echo "- $?" ;;
      *) echo "- 99" ;;
    esac
  done >"$OUT/w$1"
}
for ((i = 0; i < N; i++)); do worker "$i" & done
wait
# busybox prints no size: its exit status is the verdict; curl's reported size must match too.
cat "$OUT"/w* | awk -v size="$SIZE" '{ if ($2 == 0 && ($1 == "-" || $1 == size)) ok++; else bad++ } END { print ok + 0, bad + 0 }'
