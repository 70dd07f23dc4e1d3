# `runner doctor` says what the build and node give a trial; a trial trained with OpenBLAS's
# generic Prescott kernel and with the kernel it chose for this CPU gives the same metrics
# within float tolerance (what choosing a kernel must not change).
source "$(dirname "$0")/lib.sh"

"$RUNNER" doctor > doctor.txt
check "doctor exit code" "$?" 0
for line in "^runner " "^LibTorch " "^BLAS: " "^  kernel " "^CPU: " "^CUDA: " "^NCCL: "; do
  grep -q "$line" doctor.txt || fail "doctor lacks '$line': $(cat doctor.txt)"
done
check "--version is doctor" "$("$RUNNER" --version | head -n 1)" "$(head -n 1 doctor.txt)"
OPENBLAS_CORETYPE=Prescott "$RUNNER" doctor > mine.txt
grep -q "kernel Prescott (OPENBLAS_CORETYPE=Prescott, set by you)" mine.txt || fail "user's kernel: $(cat mine.txt)"

write_sweep k 2 1000 '"model.latent" = [8]'
"$RUNNER" run k.toml --db native.db > native.txt 2>&1
check "native kernel run" "$?" 0
OPENBLAS_CORETYPE=Prescott "$RUNNER" run k.toml --db prescott.db > prescott.txt 2>&1
check "Prescott kernel run" "$?" 0
sql native.db "ATTACH 'prescott.db' AS p; SELECT count(*) FROM final_metrics a JOIN p.final_metrics b USING (trial_id, name) WHERE a.name NOT GLOB 'seconds*' AND a.name <> 'samples_per_s'" > n.txt
sql native.db "ATTACH 'prescott.db' AS p; SELECT a.name || ' ' || a.value || ' ' || b.value FROM final_metrics a JOIN p.final_metrics b USING (trial_id, name) WHERE a.name NOT GLOB 'seconds*' AND a.name <> 'samples_per_s' AND abs(a.value - b.value) > 1e-4 * max(1, abs(a.value))" > off.txt
[ "$(cat n.txt)" -ge 3 ] || fail "few metrics compared: $(cat n.txt)"
check "same metrics within 1e-4" "$(cat off.txt)" ""
finish
