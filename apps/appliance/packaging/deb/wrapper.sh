#!/bin/sh
# The appliance with its own Node (Debian 12's nodejs is too old): /usr/lib/sluice/node.
exec /usr/lib/sluice/node --max-semi-space-size=1 /usr/lib/sluice/app/node_modules/@sluice/appliance/dist/cli.js "$@"
