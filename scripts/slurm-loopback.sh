#!/usr/bin/env bash
# A one-node Slurm cluster on loopback for the tests of `lerar run --executor slurm`: Debian's munge, slurmctld and
# slurmd with their configuration, keys, state and logs in one temporary folder, on free ports, never touching the
# machine's own /etc/slurm or /etc/munge.
#
#   scripts/slurm-loopback.sh start [FOLDER]   installs what is missing, starts the daemons, waits until the node is
#                                              idle, prints the folder; `source FOLDER/env` points sbatch/squeue at it
#   scripts/slurm-loopback.sh stop FOLDER      stops the daemons of that folder and removes it
#   scripts/slurm-loopback.sh run CMD...       start, run CMD with the cluster's environment, stop (whatever CMD did)
set -euo pipefail

PACKAGES=(munge slurmctld slurmd slurm-client)

install_missing() {
    local missing=()
    for package in "${PACKAGES[@]}"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
    ((${#missing[@]})) || return 0
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
            echo "the loopback Slurm needs: ${missing[*]} (sudo apt-get install -y ${missing[*]})" >&2; exit 1
        fi
    fi
    echo "installing ${missing[*]}" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    # The packages start system daemons of their own on some machines; this cluster does not use them.
    $sudo systemctl stop slurmctld slurmd munge >/dev/null 2>&1 || true
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() {
    install_missing
    # slurmd starts job steps as the submitting user: it has to run as root (directly or through sudo).
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo -n"
    local dir="${1:-$(mktemp -d "${TMPDIR:-/tmp}/lerar-slurm.XXXXXX")}"
    mkdir -p "$dir"/{state,spool,log}
    dir="$(cd "$dir" && pwd)"
    local node; node="$(hostname -s)"
    local cpus="${LERAR_SLURM_CPUS:-2}"
    local memory; memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
    local user; user="$(id -un)"
    head -c 1024 /dev/urandom > "$dir/munge.key"
    chmod 600 "$dir/munge.key"
    $sudo /usr/sbin/munged --force --key-file="$dir/munge.key" --socket="$dir/munge.socket" \
        --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge.seed"
    cat > "$dir/slurm.conf" <<EOF
# The loopback test cluster of Lerar (scripts/slurm-loopback.sh): one node, $cpus CPUs.
ClusterName=lerar-loopback
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MinJobAge=600
MaxArraySize=10001
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MpiDefault=none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=lerar Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    printf 'export SLURM_CONF=%q\nexport LERAR_SLURM_DIR=%q\n' "$dir/slurm.conf" "$dir" > "$dir/env"
    export SLURM_CONF="$dir/slurm.conf"
    $sudo env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmctld -i
    $sudo env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmd
    for _ in $(seq 1 60); do
        if sinfo -h -o '%T' 2>/dev/null | grep -qE '^idle'; then echo "$dir"; return 0; fi
        sleep 0.5
    done
    echo "the loopback Slurm did not come up; its logs:" >&2
    tail -n 20 "$dir"/log/*.log >&2 || true
    stop "$dir"
    exit 1
}

stop() {
    local dir="$1" sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo -n"
    [ -f "$dir/slurm.conf" ] || { echo "$dir is not a loopback Slurm folder" >&2; exit 1; }
    for daemon in slurmd slurmctld munged; do
        if [ -f "$dir/$daemon.pid" ]; then
            local pid; pid="$(cat "$dir/$daemon.pid")"
            $sudo kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
            $sudo kill -9 "$pid" 2>/dev/null || true
        fi
    done
    $sudo rm -rf "$dir"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    run)
        shift
        dir="$(start)"
        # shellcheck disable=SC1091
        source "$dir/env"
        status=0
        "$@" || status=$?
        stop "$dir"
        exit "$status"
        ;;
    *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
