# A real single-node SLURM cluster for one test: munged, slurmctld and slurmd from Debian's
# packages, with every file, socket and port private to a temporary folder, so tests never touch
# /etc/slurm and two test runs never meet. Source it, call slurm_start, and slurm_stop on exit.
# SLURM_CONF is exported, so sbatch, srun, squeue and scontrol talk to this cluster.

slurm_skip_unless_available() {
  for tool in munged slurmctld slurmd sbatch scontrol; do
    if ! command -v "$tool" >/dev/null; then
      echo "SKIP: $tool not installed (apt-get install slurm-wlm munge)"
      exit 77
    fi
  done
  if [ "$(id -u)" != 0 ]; then
    echo "SKIP: slurmd needs root to start job steps"
    exit 77
  fi
}

# A free TCP port on loopback, chosen by the kernel.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 30000))
    # bash connects to it only if something listens there.
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

slurm_start() {
  SLURM_DIR=$(mktemp -d /tmp/runner-slurm.XXXXXX)
  chmod 755 "$SLURM_DIR"
  local host cpus ctld_port slurmd_port
  host=$(hostname -s)
  # Four CPUs whatever the machine has (config_overrides lets slurmd believe it): a scheduler rank
  # and trainers fit on a two-core CI machine.
  cpus=$(( $(nproc) > 4 ? $(nproc) : 4 ))
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  mkdir -p "$SLURM_DIR"/{munge,state,spool,log}
  # munged refuses a key or socket folder others can write; give it its own copy of the key.
  cp /etc/munge/munge.key "$SLURM_DIR/munge/key"
  chown -R munge:munge "$SLURM_DIR/munge"
  chmod 711 "$SLURM_DIR/munge"
  chmod 600 "$SLURM_DIR/munge/key"
  cat >"$SLURM_DIR/slurm.conf" <<EOF
ClusterName=runner-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$SLURM_DIR/munge/socket
CredType=cred/munge
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
KillWait=30
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
  export SLURM_CONF="$SLURM_DIR/slurm.conf"
  runuser -u munge -- munged --socket="$SLURM_DIR/munge/socket" --key-file="$SLURM_DIR/munge/key" \
    --pid-file="$SLURM_DIR/munge/pid" --log-file="$SLURM_DIR/munge/log" --seed-file="$SLURM_DIR/munge/seed" \
    || { echo "munged failed to start"; return 1; }
  slurmctld -f "$SLURM_CONF" || { cat "$SLURM_DIR/log/slurmctld.log"; return 1; }
  slurmd -f "$SLURM_CONF" || { cat "$SLURM_DIR/log/slurmd.log"; return 1; }
  local i
  for i in $(seq 1 60); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then return 0; fi
    sleep 0.5
  done
  echo "SLURM did not come up; logs:"
  tail -20 "$SLURM_DIR"/log/*.log
  return 1
}

slurm_stop() {
  [ -n "${SLURM_DIR:-}" ] || return 0
  scancel --full -u "$(id -un)" 2>/dev/null || true
  local f
  for f in slurmd.pid slurmctld.pid munge/pid; do
    [ -f "$SLURM_DIR/$f" ] && kill "$(cat "$SLURM_DIR/$f")" 2>/dev/null
  done
  sleep 1
  for f in slurmd.pid slurmctld.pid munge/pid; do
    [ -f "$SLURM_DIR/$f" ] && kill -9 "$(cat "$SLURM_DIR/$f")" 2>/dev/null
  done
  rm -rf "$SLURM_DIR"
}

# A requeued job waits two minutes before it may start again (SLURM's rule); let it go now.
slurm_release_now() {
  local i
  for i in $(seq 1 60); do
    [ "$(slurm_job_state "$1")" = PENDING ] && break
    sleep 0.5
  done
  scontrol update JobId="$1" StartTime=now
}

# Waits until job $1 has left the queue (completed, failed, timed out), at most $2 seconds.
slurm_wait_job() {
  local job=$1 limit=${2:-300} i
  for i in $(seq 1 $((limit * 2))); do
    if ! squeue -h -j "$job" 2>/dev/null | grep -q .; then return 0; fi
    sleep 0.5
  done
  echo "job $job still queued after ${limit}s"
  squeue
  return 1
}

# The state of job $1 as slurmctld knows it (COMPLETED, TIMEOUT, PENDING, ...).
slurm_job_state() {
  scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'
}
