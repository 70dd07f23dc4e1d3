# `runner report`: headless Chromium opens the page from file:// with no network; every chart
# renders (an SVG with marks), no script error, the β series of a cyclical KL schedule and the
# early-stopping rungs and a search's charts are there, every string from the database shows as text (an error message
# holding <script> stays text), and a report made while a sweep runs works. The screenshot is
# kept at $REPORT_SHOT. Bad input: exit 2, nothing written.
source "$(dirname "$0")/../runner/lib.sh"
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ]; then
  echo "SKIP: chromium is not installed (scripts/setup.sh installs it)"
  exit 77
fi
SHOT=${REPORT_SHOT:-$WORK/report.png}
# Headless, no network (a proxy that does not exist), and long enough for Vega to draw.
CHROME=("$BROWSER" --headless --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 --virtual-time-budget=60000)

# Completed, pruned and failed trials in one sweep, and a VAE with a cyclical KL in another.
write_sweep opt 9 500 '"train.lr" = [1e-4, 1e-3, 3e-3, 1e-2, 1e30]' '"model.latent" = [4, 8]'
add_asha opt
write_sweep kl 8 500 '"kl.cycles" = [1, 2]'
sed -i 's/^\[model\]$/[model]\nkind = "vae"/' kl.toml
printf '[kl]\nschedule = "cyclical"\n' >> kl.toml
"$RUNNER" run opt.toml --db r.db > opt.txt 2>&1
"$RUNNER" run kl.toml --db r.db > kl.txt 2>&1
check "kl sweep" $? 0
# A two-objective search with early stopping: the search's charts.
write_sweep find 3 500
sed -i '/^\[sweep.grid\]$/,$d' find.toml
add_asha find
cat >> find.toml <<'TOML'
[sweep.search]
trials = 8
startup = 3
objectives = [{ metric = "recon_mse" }, { metric = "probe_accuracy", mode = "max" }]
[sweep.search.space]
"train.lr" = { log_uniform = [1e-4, 3e-2] }
"model.activation" = { choice = ["relu", "tanh"] }
TOML
"$RUNNER" run find.toml --db r.db > find.txt 2>&1
check "search sweep" $? 0
# A population (sampler = "pbt"): its lineage and schedules.
write_sweep pop 3 500
sed -i '/^\[sweep.grid\]$/,$d' pop.toml
sed -i 's/^\[model\]$/[model]\nkind = "vae"/' pop.toml
cat >> pop.toml <<'TOML'
[sweep.search]
sampler = "pbt"
population = 3
quantile = 0.5
objectives = [{ metric = "test_elbo", mode = "max" }]
[sweep.search.space]
"train.lr" = { log_uniform = [1e-4, 3e-2] }
"loss.beta" = { uniform = [0.2, 2.0] }
TOML
"$RUNNER" run pop.toml --db r.db --set cluster.fuse=3 > pop.txt 2>&1
check "pbt sweep" $? 0
[ "$(sql r.db "SELECT count(*) FROM pbt_decisions WHERE source IS NOT NULL")" -ge 1 ] || fail "no exploit to draw"
evil='<script>document.title="pwned"</script><img src=x onerror="document.body.dataset.pwned=1">'
sql r.db "UPDATE trials SET error = '$evil' WHERE status = 'failed'"

"$RUNNER" report --db r.db --out rep > report.txt
check "report exit" $? 0
for f in index.html vega.min.js report.js report.css; do [ -s "rep/$f" ] || fail "rep/$f missing"; done
check "pictures beside the page" "$(find rep/pictures -name '*.png' | wc -l)" "$(sql r.db "SELECT count(*) FROM artifacts")"

"${CHROME[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$WORK/rep/index.html" > dom.html 2> chrome.txt
check "chromium exit" $? 0
charts=$(grep -o 'data-charts="rendered [0-9]* of [0-9]*"' dom.html | grep -o '[0-9]* of [0-9]*')
n=${charts%% of *}
check "every chart rendered" "$charts" "$n of $n"
[ "${n:-0}" -ge 15 ] || fail "only ${n:-0} charts: $(grep -o '<h3>[^<]*' dom.html | head -30)"
check "one SVG per chart" "$(grep -o '<svg' dom.html | wc -l)" "$n"
empty=$(python3 - <<'PY'
import re
dom = open("dom.html").read()
svgs = re.findall(r"<svg.*?</svg>", dom, re.S)
# A drawn chart has marks: paths, rects, lines or symbols beyond its background.
print(sum(1 for s in svgs if len(re.findall(r"<(path|line|rect|text)\b", s)) < 3))
PY
)
check "no empty chart" "$empty" 0
check "no script error on the page" "$(sed -n 's/.*<div id="errors">\([^<]*\)<\/div>.*/\1/p' dom.html)" ""
grep -q ':CONSOLE(.*\(Error\|Uncaught\)' chrome.txt && fail "console errors: $(grep ':CONSOLE' chrome.txt | head -5)"
for title in "beta of the KL schedules" "early stopping: decisions at each rung" "parallel coordinates" \
             "learning curves" "timeline" "reconstruction error per digit" "trials by status" \
             "each final metric against each varied parameter" "pictures of each trial" \
             "search (tpe, 8 trials for each of 1 part(s)): recon_mse (min), probe_accuracy (max)" \
             "best recon_mse so far (red) against proposals" "Pareto front: recon_mse against probe_accuracy" \
             "proposals of train.lr over time" "proposals of model.activation over time" \
             "the rung each proposal reached" "lineage: each member's test_elbo" \
             "train.lr each member trained with" "loss.beta each member trained with" \
             "the best member's whole schedule"; do
  grep -q "<h3>$title" dom.html || fail "no chart '$title'"
done
grep -q "sweep kl" dom.html && grep -q "sweep opt" dom.html && grep -q "sweep find" dom.html || fail "every sweep on the page"
# The error message is text: escaped in the DOM, never run.
grep -q '&lt;script&gt;document.title="pwned"&lt;/script&gt;&lt;img src=x onerror=' dom.html ||
  fail "the error message is not shown as text"
grep -q 'data-pwned' dom.html && fail "a string from the database ran as HTML"
grep -q '<title>runner report: find, kl, opt, pop</title>' dom.html || fail "title: $(grep -o '<title>[^<]*' dom.html)"
"${CHROME[@]}" --window-size=1400,2600 --screenshot="$SHOT" "file://$WORK/rep/index.html" 2>/dev/null
[ -s "$SHOT" ] && echo "screenshot: $SHOT" || fail "no screenshot"

# One sweep only; while a sweep runs (read-only, so the run goes on undisturbed).
write_sweep live 40 2000 '"model.latent" = [4, 8]'
"$RUNNER" run live.toml --db r.db > live.txt 2>&1 &
run=$!
for _ in $(seq 100); do
  [ "$(sql r.db "SELECT count(*) FROM metrics m JOIN trials t ON t.id = m.trial_id WHERE t.sweep = 'live'")" -gt 0 ] && break
  sleep 0.1
done
"$RUNNER" report --db r.db --sweep live --out live > live-report.txt
check "report while running" $? 0
grep -q '"status":"running"' live/index.html || fail "no running trial in the live report"
grep -q '"name":"opt"' live/index.html && fail "--sweep live shows other sweeps"
wait $run
check "the run went on undisturbed" $? 0

# Bad input: exit 2, the reason, nothing written.
"$RUNNER" report --db r.db --sweep nope --out bad > bad.txt 2>&1
check "unknown sweep: exit" $? 2
grep -q "key '--sweep': no sweep 'nope' in this database; its sweeps: find, kl, live, opt" bad.txt || fail "unknown sweep: $(cat bad.txt)"
"$RUNNER" report --db missing.db --out bad > bad.txt 2>&1
check "missing database: exit" $? 2
"$RUNNER" report --db r.db > bad.txt 2>&1
check "no --out: exit" $? 2
[ -e bad ] && fail "bad input wrote bad/"
finish
