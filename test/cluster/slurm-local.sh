#!/usr/bin/env bash
# A one-host Slurm cluster for trying and testing Loupe's sharded runs: Debian's slurm-wlm and munge,
# with slurmctld, slurmd and munged all started from one state folder (its own slurm.conf, munge key,
# socket, ports, spool and logs). Nothing under /etc is changed and no system service is used, so it
# runs in containers without systemd and beside a real Slurm installation.
#
#   test/cluster/slurm-local.sh install        apt-get install slurm-wlm and munge if missing (root or sudo)
#   test/cluster/slurm-local.sh start [DIR]    configure and start the daemons, wait until the node is idle
#   test/cluster/slurm-local.sh env [DIR]      print `export SLURM_CONF=...` for sbatch, squeue, sinfo
#   test/cluster/slurm-local.sh stop [DIR]     stop the daemons started from DIR
#
# DIR defaults to $LOUPE_SLURM_DIR, else ${TMPDIR:-/tmp}/loupe-slurm. `start` is idempotent: daemons
# already running from DIR are kept (a stopped one is restarted) and it only waits for the node.
# The daemons run as root (slurmd must, to start jobs). Jobs run as the submitting user.
set -euo pipefail

cmd=${1:-}
dir=${2:-${LOUPE_SLURM_DIR:-${TMPDIR:-/tmp}/loupe-slurm}}
node_name=loupe-node
partition=loupe
start_timeout=${LOUPE_SLURM_START_TIMEOUT:-60}

die() {
  echo "slurm-local: $*" >&2
  exit 1
}

need_root() {
  [ "$(id -u)" -eq 0 ] || die "$1 needs root: slurmd and munged run as root (run with sudo, or as root)."
}

have_slurm() {
  command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 && command -v sbatch >/dev/null 2>&1 &&
    command -v munged >/dev/null 2>&1 && command -v mungekey >/dev/null 2>&1
}

install_slurm() {
  if have_slurm; then
    echo "slurm-local: slurm-wlm and munge are installed"
    return
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null ||
      die "slurm-wlm and munge are not installed and this user is not root (and has no password-less sudo): install them with 'apt-get install slurm-wlm munge' as root."
    sudo="sudo -n"
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "slurm-wlm and munge are not installed and there is no apt-get here: install Slurm (slurmctld, slurmd, sbatch) and munge with this system's package manager."
  export DEBIAN_FRONTEND=noninteractive
  # The packages' service start-up is not needed (start below runs the daemons itself); without an
  # init system invoke-rc.d just reports that it did not start them.
  $sudo apt-get update -qq || die "apt-get update failed (see above): no package index, so slurm-wlm cannot be installed."
  $sudo apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null ||
    die "apt-get install slurm-wlm munge failed (see above)."
  have_slurm || die "slurm-wlm and munge were installed but slurmctld, slurmd, sbatch, munged or mungekey is still not on PATH ($PATH)."
  echo "slurm-local: installed slurm-wlm and munge"
}

# A TCP port on 127.0.0.1 that nothing listens on (bash's /dev/tcp: a refused connect means free).
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
    p=$((p + 1))
    [ "$p" -lt 65000 ] || die "no free TCP port found from $1 upwards"
  done
  echo "$p"
}

pid_alive() {
  local f=$1
  [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

configure() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  mkdir -p "$dir/munge" "$dir/ctld" "$dir/slurmd" "$dir/log"
  # munged refuses a key or socket folder that others can write to; others may reach the socket
  # (sbatch as another user) but not list the folder.
  chmod 711 "$dir/munge"
  [ -s "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key" --force >/dev/null
  chmod 600 "$dir/munge/munge.key"
  [ -s "$dir/slurm.conf" ] && return
  local ctld_port slurmd_port cpus
  # A random start port: two clusters configured at once (parallel test runs) rarely pick the same.
  ctld_port=$(free_port "${LOUPE_SLURM_PORT:-$((16817 + RANDOM % 1000 * 2))}")
  slurmd_port=$(free_port $((ctld_port + 1)))
  cpus=$(nproc)
  cat >"$dir/slurm.conf.tmp" <<EOF
# Written by test/cluster/slurm-local.sh: a one-host cluster, state in $dir.
ClusterName=loupe-local
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/slurmd
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# No cgroups, accounting or job completion database: none exists in a bare container.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Trust the CPU count below instead of the detected topology (containers report odd ones).
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=10
# Finished jobs stay visible to scontrol for 10 minutes (no accounting database to ask instead).
MinJobAge=600
NodeName=$node_name NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus State=UNKNOWN
PartitionName=$partition Nodes=$node_name Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$dir/slurm.conf.tmp" "$dir/slurm.conf"
}

node_state() {
  SLURM_CONF="$dir/slurm.conf" timeout 10 sinfo --noheader --nodes="$node_name" --Node --format='%T' 2>/dev/null | head -n 1
}

start_cluster() {
  need_root start
  have_slurm || die "Slurm is not installed: run '$0 install' first (as root)."
  configure
  export SLURM_CONF="$dir/slurm.conf"
  if ! pid_alive "$dir/munge/munged.pid"; then
    rm -f "$dir/munge/munge.socket" "$dir/munge/munge.socket.lock"
    munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
      --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" ||
      die "munged did not start; its log: $dir/log/munged.log"
  fi
  if ! pid_alive "$dir/slurmctld.pid"; then
    slurmctld -f "$SLURM_CONF" || die "slurmctld did not start; its log: $dir/log/slurmctld.log"
  fi
  if ! pid_alive "$dir/slurmd.pid"; then
    slurmd -f "$SLURM_CONF" -N "$node_name" || die "slurmd did not start; its log: $dir/log/slurmd.log"
  fi
  local waited=0 state=""
  while :; do
    state=$(node_state || true)
    case "$state" in
      idle | mixed | allocated) break ;;
      down* | drain* | fail*)
        # A node the controller remembers as down (an earlier slurmd died) comes back on request.
        scontrol update nodename="$node_name" state=resume >/dev/null 2>&1 || true
        ;;
    esac
    if [ "$waited" -ge "$start_timeout" ]; then
      {
        echo "slurm-local: node $node_name is not idle after ${start_timeout}s (state: '${state:-no answer from slurmctld}')."
        for log in munged slurmctld slurmd; do
          echo "--- last lines of $dir/log/$log.log"
          tail -n 15 "$dir/log/$log.log" 2>/dev/null || echo "(no log)"
        done
      } >&2
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "slurm-local: cluster up in $dir (partition $partition, node $node_name $state); export SLURM_CONF=$SLURM_CONF"
}

stop_pid() {
  local f=$1 name=$2 pid
  pid_alive "$f" || return 0
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  echo "slurm-local: $name (PID $pid) did not stop within 10 s; killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
}

stop_cluster() {
  [ -d "$dir" ] || return 0
  stop_pid "$dir/slurmd.pid" slurmd
  stop_pid "$dir/slurmctld.pid" slurmctld
  stop_pid "$dir/munge/munged.pid" munged
  echo "slurm-local: stopped the daemons of $dir"
}

case "$cmd" in
  install) install_slurm ;;
  start) start_cluster ;;
  env)
    [ -s "$dir/slurm.conf" ] || die "no cluster configured in $dir: run '$0 start $dir' first."
    echo "export SLURM_CONF=$(cd "$dir" && pwd)/slurm.conf"
    ;;
  stop) stop_cluster ;;
  *) die "usage: $0 install | start [DIR] | env [DIR] | stop [DIR]" ;;
esac
