#!/bin/sh
# Maps a service name to its compiled entry point; anything else goes to the metalbus CLI.
set -e
case "$1" in
  dhcp-proxy|boot-http|omni-bridge|power)
    service="$1"; shift
    exec node "/app/services/$service/dist/main.js" "$@" ;;
  metalbus) shift; exec node /app/cli/bin/metalbus.js "$@" ;;
  --help|-h|"")
    echo "usage: <image> dhcp-proxy|boot-http|omni-bridge|power|metalbus [args]"; exit 0 ;;
  *) exec node /app/cli/bin/metalbus.js "$@" ;;
esac
