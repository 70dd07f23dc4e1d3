# Groups stay inside a node whatever the rank order. Nodes are simulated on this one machine: as
# root, every rank gets its own UTS namespace and host name (`unshare -u`), so the runner sees
# separate hosts. For 2 and 3 nodes, block and round-robin rank order, 2 and 3 ranks per trial,
# every trial's ranks are on one host (the trials table's `hosts`), and every node trains. When
# the ranks of a node do not split into groups, a group spans nodes and the runner says so.
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! unshare -u true 2>/dev/null; then
  echo "skipped: simulating nodes needs root (unshare -u)"
  exit 77
fi

write_sweep nodes 1 128 '"model.latent" = [4, 8, 12, 16, 20, 24]'
# $1 ranks, $2 shell arithmetic giving a rank's node from $r, $3 ranks per trial, $4 database.
run_on_nodes() {
  "${MPI[@]}" -np "$1" sh -c "r=\$OMPI_COMM_WORLD_RANK; exec unshare -u sh -c \"hostname node\$(($2)); exec $RUNNER run nodes.toml --db $4 --set cluster.ranks_per_trial=$3 --set data.test_limit=64\"" > "$4.txt" 2>&1
}

# ranks, node of rank r, nodes, per trial
cases=(
  "4 r/2 2 2"   # 2 nodes, block
  "4 r%2 2 2"   # 2 nodes, round robin
  "6 r%3 3 2"   # 3 nodes, round robin
  "6 r/2 3 2"   # 3 nodes, block
  "6 r/3 2 3"   # 2 nodes of 3, block
  "6 r%2 2 3"   # 2 nodes of 3, round robin
)
for c in "${cases[@]}"; do
  read -r np node nodes per <<<"$c"
  db="n${np}_$(tr -c 'a-z0-9' _ <<<"$node")_$per.db"
  run_on_nodes "$np" "$node" "$per" "$db"
  check "$c: exit code" "$?" 0
  check "$c: trials completed" "$(sql "$db" "SELECT count(*) FROM trials WHERE status = 'completed'")" 6
  check "$c: each trial on $per ranks" \
    "$(sql "$db" "SELECT count(*) FROM trials WHERE json_array_length(hosts) = $per AND json_array_length(ranks) = $per")" 6
  check "$c: each trial's ranks on one host" \
    "$(sql "$db" "SELECT count(*) FROM trials WHERE (SELECT count(DISTINCT value) FROM json_each(hosts)) = 1")" 6
  check "$c: every node trains" "$(sql "$db" "SELECT count(DISTINCT host) FROM trials")" "$nodes"
  grep -q "across nodes" "$db.txt" && fail "$c: warned of a group across nodes: $(grep across "$db.txt")"
done

# 3 ranks on each of 2 nodes, 2 per trial: one group per node, and one of the ranks left over.
run_on_nodes 6 r/3 2 span.db
check "spanning: exit code" "$?" 0
grep -qE "warning: ranks 2 on node0, 5 on node1 train one trial across nodes" span.db.txt ||
  fail "no warning of the group across nodes: $(head -3 span.db.txt)"
check "spanning: groups in one node, and one across" \
  "$(sql span.db "SELECT group_concat(DISTINCT hosts) FROM (SELECT hosts FROM trials ORDER BY hosts)")" \
  '["node0","node0"],["node0","node1"],["node1","node1"]'
finish
