# A real single-node SLURM (munged, slurmctld, slurmd from Debian's packages, started here):
# `runner slurm --submit` runs a sweep to completion; a job requeued with `scontrol requeue` while
# trials are in flight resumes them from their checkpoints; a job that reaches its time limit leaves
# its trials interrupted with checkpoints, and a resubmission completes them; two jobs and a
# two-element job array on one database share its sweep, each trial trained once.
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../runner/lib.sh"
source "$HERE/slurm_lib.sh"
slurm_skip_unless_available
trap 'slurm_stop; rm -rf "$WORK"' EXIT
slurm_start || { fail "SLURM did not start"; finish; exit 1; }

# Every trial of database $1 completed once, each series epochs 1..$2 exactly once, intact.
expect_sweep_complete() {
  local db=$1 epochs=$2 n
  n=$(sql "$db" "SELECT count(*) FROM trials")
  check "$db: every trial completed once" "$(sql "$db" "SELECT count(DISTINCT id) || '/' || sum(status = 'completed') FROM trials")" "$n/$n"
  check "$db: series 1..$epochs, no gaps or repeats" \
    "$(sql "$db" "SELECT count(*) FROM (SELECT trial_id, name FROM metrics GROUP BY trial_id, name HAVING count(*) = $epochs AND count(DISTINCT epoch) = $epochs AND min(epoch) = 1 AND max(epoch) = $epochs)")" \
    "$(sql "$db" "SELECT count(DISTINCT trial_id || name) FROM metrics")"
  check "$db: integrity" "$(sql "$db" "PRAGMA integrity_check")" ok
  check "$db: checkpoints removed" "$(find "${db%.db}.checkpoints" -name '*.ckpt' 2>/dev/null | wc -l)" 0
}

# Waits until some running trial of $1 has $2 epochs of this attempt, while job $3 is queued.
wait_for_epochs() {
  local db=$1 want=$2 job=$3 deadline=$((SECONDS + 180)) got
  while [ $SECONDS -lt $deadline ]; do
    got=$(sql "$db" "SELECT coalesce(max(m.epoch), 0) FROM metrics m JOIN trials t ON t.id = m.trial_id WHERE t.status = 'running' AND m.attempt = t.attempts" 2>/dev/null)
    [ "${got:-0}" -ge "$want" ] && return 0
    squeue -h -j "$job" 2>/dev/null | grep -q . || break
    sleep 0.2
  done
  fail "no trial of job $job reached epoch $want: $(cat "$WORK"/*-"$job".out 2>/dev/null | tail -n 5)"
  return 1
}

job_id() { sed -n 's/^submitted job \([0-9]*\)$/\1/p' "$1"; }

# 1. Submitted by the runner, run to completion.
write_sweep small 3 2000 '"model.latent" = [4, 8]'
"$RUNNER" slurm small.toml --ntasks-per-node 3 --db small.db --submit > submit1.txt
check "runner slurm --submit" "$?" 0
job=$(job_id submit1.txt)
[ -n "$job" ] || fail "no job id: $(cat submit1.txt)"
slurm_wait_job "$job" 180
check "job 1 state" "$(slurm_job_state "$job")" COMPLETED
expect_sweep_complete small.db 3
check "ran once each" "$(sql small.db "SELECT sum(attempts) FROM trials")" 2
grep -q "runner: job $job (restart 0)" "small-$job.out" || fail "job log: $(head -n 3 "small-$job.out")"

# 2. Requeued by hand while trials are in flight.
EPOCHS=16
write_sweep requeued $EPOCHS 8000 '"model.latent" = [4, 8, 12, 16]'
"$RUNNER" slurm requeued.toml --ntasks-per-node 3 --db rq.db --submit > submit2.txt
job=$(job_id submit2.txt)
wait_for_epochs rq.db 3 "$job" && scontrol requeue "$job"
slurm_release_now "$job"
slurm_wait_job "$job" 300
check "job 2 state" "$(slurm_job_state "$job")" COMPLETED
expect_sweep_complete rq.db $EPOCHS
check "job 2 requeued once" "$(scontrol show job "$job" | grep -o 'Restarts=[0-9]*')" Restarts=1
resumed=$(sql rq.db "SELECT trial_id FROM metrics GROUP BY trial_id HAVING count(DISTINCT attempt) = 2 AND min(attempt) = 1 LIMIT 1")
[ -n "$resumed" ] || fail "no trial resumed from a checkpoint: $(sql rq.db "SELECT id, attempts, resumed_from FROM trials")"
if [ -n "$resumed" ]; then
  # Epochs up to the checkpoint from the first run, the rest from the second, none twice.
  check "resumed series" "$(sql rq.db "SELECT max(epoch) FILTER (WHERE attempt = 1) + 1 = min(epoch) FILTER (WHERE attempt = 2) AND max(epoch) = $EPOCHS FROM metrics WHERE trial_id = '$resumed' AND name = 'train_loss'")" 1
  check "resumed_from" "$(sql rq.db "SELECT resumed_from = (SELECT max(epoch) FROM metrics WHERE trial_id = '$resumed' AND attempt = 1) FROM trials WHERE id = '$resumed'")" 1
  grep -q "^resume   $resumed" "rq-$job.out" || fail "log lacks the resume of $resumed"
  # The ranks stopped cleanly on the requeue's SIGTERM: in-flight trials interrupted, exit 3.
  grep -q "^stopped  .* interrupted; checkpoint" "rq-$job.out" || fail "no clean stop on requeue: $(grep -v '^epoch' "rq-$job.out" | head -n 20)"
fi

# 3. The time limit: SLURM warns 50 s ahead of a one-minute limit; no requeues allowed, so the job
# ends with its trials interrupted and checkpointed. Resubmitted with more time, it completes.
# Wider layers make each trial take about 15 s, so trials are in flight when the warning comes.
EPOCHS=40
write_sweep limited $EPOCHS 8000 '"model.latent" = [4, 8, 12, 16]'
"$RUNNER" slurm limited.toml --ntasks-per-node 3 --db tl.db --time 1 --warn-seconds 50 --max-requeues 0 \
  --set 'model.hidden=[256,256]' --script tl.sbatch --submit > submit3.txt
job=$(job_id submit3.txt)
slurm_wait_job "$job" 180
check "job 3 ended cleanly" "$(slurm_job_state "$job")" COMPLETED
grep -q "requeues used, so this job ends here" "tl-$job.out" || fail "job 3 log: $(tail -n 5 "tl-$job.out")"
interrupted=$(sql tl.db "SELECT count(*) FROM trials WHERE status = 'interrupted'")
[ "$interrupted" -ge 1 ] || fail "no trial interrupted at the time limit: $(sql tl.db "SELECT status, count(*) FROM trials GROUP BY status")"
check "checkpoints of interrupted trials" "$(find tl.checkpoints -name '*.ckpt' | wc -l)" "$interrupted"
"$RUNNER" status --db tl.db | grep -q "interrupted $interrupted" || fail "status: $("$RUNNER" status --db tl.db)"
job=$(sbatch --parsable --time=10 tl.sbatch)
slurm_wait_job "$job" 300
check "resubmission state" "$(slurm_job_state "$job")" COMPLETED
expect_sweep_complete tl.db $EPOCHS
# Counted in the log: a trial stopped inside its first epoch resumes from epoch 0 and a sample
# (resumed_from 0), as happens when the machine is slow.
check "interrupted trials resumed" "$(grep -c '^resume ' "tl-$job.out")" "$interrupted"

# 4. A job array of two elements and a plain job, on one database at once.
EPOCHS=3
write_sweep shared $EPOCHS 2000 '"model.latent" = [2, 4, 6, 8, 10, 12, 14, 16]'
"$RUNNER" slurm shared.toml --ntasks-per-node 2 --db sh.db --array 2 --script sh-array.sbatch --submit > submit4.txt
array=$(job_id submit4.txt)
"$RUNNER" slurm shared.toml --ntasks-per-node 2 --db sh.db --script sh-one.sbatch --submit > submit5.txt
one=$(job_id submit5.txt)
[ -n "$array" ] && [ -n "$one" ] || fail "submissions: $(cat submit4.txt submit5.txt)"
slurm_wait_job "$array" 300
slurm_wait_job "$one" 300
for element in "${array}_0" "${array}_1" "$one"; do
  check "job $element state" "$(slurm_job_state "$element")" COMPLETED
done
expect_sweep_complete sh.db $EPOCHS
check "shared: each trial trained once" "$(sql sh.db "SELECT count(*) FROM trials WHERE attempts = 1")" 8
check "shared: epochs trained across the jobs" "$(cat sh-"$array"_0.out sh-"$array"_1.out sh-"$one".out | grep -c '^epoch ')" $((8 * EPOCHS))
check "shared: the runs and their jobs" "$(sql sh.db "SELECT group_concat(slurm_job, ' ') FROM (SELECT slurm_job FROM runs ORDER BY slurm_job)")" \
  "$(printf '%s\n' "${array}_0" "${array}_1" "$one" | sort | tr '\n' ' ' | sed 's/ $//')"
finish
