#!/usr/bin/env bash
# Runs a command with the ROS 2 environment of `npm run ros:setup` applied, where DDS cannot leave this
# machine: inside a network namespace of its own whose only interface is `lo`, with Fast DDS also held to
# 127.0.0.1 without multicast (scripts/ros/fastdds-localhost.xml) and a random ROS_DOMAIN_ID per run.
#
#   bash scripts/ros-sandbox.sh jest test/ros2      (npm test runs jest this way)
#
# Without the setup, the command runs unchanged and the ROS 2 tests skip (or fail, when CI=true).
# Needs root or unprivileged user namespaces for `unshare --net`; where neither works the command runs in
# the host's network namespace with only the localhost-only Fast DDS profile, and says so.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="$ROOT/.cache/ros/env.sh"
[ $# -gt 0 ] || {
  echo "usage: bash scripts/ros-sandbox.sh COMMAND [ARGS...]" >&2
  exit 2
}

if [ "${KIZUNA_ROS_SANDBOX:-}" = "netns" ]; then exec "$@"; fi # already inside one

# Runs the command; then stops the ros2 daemon a `ros2 node list` (say) may have started in this sandbox,
# which would otherwise outlive it. The daemon answers on this sandbox's loopback and ROS_DOMAIN_ID only.
run_then_stop_daemon() {
  local rc=0
  "$@" || rc=$?
  if [ -n "${KIZUNA_ROS_TOOLS:-}" ] && [ -x "$KIZUNA_ROS_TOOLS/bin/ros2" ]; then
    timeout 20 ros2 daemon stop >/dev/null 2>&1 || true
  fi
  return "$rc"
}

if [ ! -f "$ENV_FILE" ]; then
  echo "ros-sandbox: no ROS 2 environment ($ENV_FILE missing); tests that need ROS 2 skip. Fix: npm run ros:setup" >&2
  exec "$@"
fi
# shellcheck source=/dev/null
. "$ENV_FILE"
# 1..101: the domain ids whose port ranges are safe on Linux; a fresh one per run, so parallel runs sharing
# the host's shared memory transport never discover each other.
ROS_DOMAIN_ID="$(((RANDOM % 101) + 1))"
export ROS_DOMAIN_ID

netns=()
if unshare --net true 2>/dev/null; then
  netns=(unshare --net)
elif unshare --net --map-root-user true 2>/dev/null; then
  netns=(unshare --net --map-root-user)
fi
if [ ${#netns[@]} -eq 0 ] || ! command -v ip >/dev/null; then
  echo "ros-sandbox: cannot create a network namespace here (need root or user namespaces, and iproute2);" \
    "running with Fast DDS held to 127.0.0.1 only (ROS_DOMAIN_ID=$ROS_DOMAIN_ID)" >&2
  export KIZUNA_ROS_SANDBOX=localhost-only
  run_then_stop_daemon "$@"
  exit $?
fi
export KIZUNA_ROS_SANDBOX=netns
echo "ros-sandbox: network namespace with only lo, ROS_DOMAIN_ID=$ROS_DOMAIN_ID" >&2
export -f run_then_stop_daemon
exec "${netns[@]}" -- bash -c 'ip link set lo up && run_then_stop_daemon "$@"' ros-sandbox "$@"
