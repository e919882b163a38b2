#!/usr/bin/env bash
# The cluster path against a local run on this machine, on the loopback Slurm (scripts/slurm-loopback.sh):
#  1. a simulated LRGB session (SIZE², LIGHTS per filter) through `lerar run` and `lerar run --executor slurm`
#     (FRAMES_PER_TASK lights per array task, one CPU per task), the masters compared byte for byte; per level the
#     tasks, the wait from the level before it to its first task, its wall time and its tasks' own step time;
#  2. the plan of a 2,000-light season (500 lights per filter, LRGB; planned from 128² files: the plan does not
#     depend on the frame size) and, from the per-frame costs of 24 × 4096² in docs/performance-table.md, an
#     estimate of its wall time on 1 and on 10 nodes of 16 cores.
# Writes docs/cluster-table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1024}
LIGHTS=${LIGHTS:-6}
FRAMES_PER_TASK=${FRAMES_PER_TASK:-2}
LERAR=${LERAR:-.build/release/lerar}
OUT=${OUT:-docs/cluster-table.md}
ROOT=${BENCH_DIR:-bench-output/slurm}
rm -rf "$ROOT"; mkdir -p "$ROOT"; ROOT=$(cd "$ROOT" && pwd)
export SOURCE_DATE_EPOCH=1700000000

"$LERAR" simulate --out "$ROOT/session" --size "$SIZE" "$SIZE" --lights "$LIGHTS" --filters L,R,G,B > /dev/null 2>&1
inputs=("$ROOT"/session/{lights,darks,flats,bias,darkflats})
start=$(date +%s.%N); "$LERAR" run "${inputs[@]}" -o "$ROOT/local" > "$ROOT/local.txt" 2>&1; local_s=$(echo "$(date +%s.%N) - $start" | bc)

cluster=$(scripts/slurm-loopback.sh start)
trap 'scripts/slurm-loopback.sh stop "$cluster"' EXIT
# shellcheck disable=SC1091
source "$cluster/env"
start=$(date +%s.%N)
"$LERAR" run "${inputs[@]}" -o "$ROOT/cluster" --executor slurm --frames-per-task "$FRAMES_PER_TASK" > "$ROOT/cluster.txt" 2>&1
slurm_s=$(echo "$(date +%s.%N) - $start" | bc)
same=0; total=0
for file in "$ROOT"/local/master/*.xisf; do
    total=$((total + 1)); cmp -s "$file" "$ROOT/cluster/master/$(basename "$file")" && same=$((same + 1))
done

"$LERAR" simulate --out "$ROOT/season" --size 128 128 --lights 500 --filters L,R,G,B > /dev/null 2>&1
season=("$ROOT"/season/{lights,darks,flats,bias,darkflats})
start=$(date +%s.%N); "$LERAR" plan "${season[@]}" -o "$ROOT/season-out" --json > "$ROOT/season-plan.json"; plan_s=$(echo "$(date +%s.%N) - $start" | bc)
"$LERAR" plan "${season[@]}" -o "$ROOT/season-out" --json --frames-per-task 8 > "$ROOT/season-plan-8.json"
start=$(date +%s.%N); "$LERAR" step --plan "$ROOT/season-plan.json" --level 2 --task 0 > /dev/null 2>&1 || true
step_s=$(echo "$(date +%s.%N) - $start" | bc)

python3 - "$ROOT" "$local_s" "$slurm_s" "$same" "$total" "$plan_s" "$step_s" "$SIZE" "$LIGHTS" "$FRAMES_PER_TASK" > "$OUT" <<'PY'
import glob, json, math, os, re, sys
root, local_s, slurm_s, same, total, plan_s, step_s, size, lights, fpt = sys.argv[1:]
local_s, slurm_s, plan_s, step_s = map(float, (local_s, slurm_s, plan_s, step_s))
timeline = json.load(open(os.path.join(root, "cluster/slurm/timeline.json")))
print(f"# The cluster path on this machine\n\nMade by `scripts/bench-slurm.sh` (SIZE={size}, LIGHTS={lights}, FRAMES_PER_TASK={fpt}) on the loopback one-node Slurm "
      "(2 CPUs, one per array task), release build. Times of levels are read from the queue every 0.5 s: a level starts "
      "at the last look that found all its tasks waiting.\n")
print(f"## Local run against Slurm, LRGB {lights} lights per filter at {size}²\n")
print(f"| | wall time | masters identical |\n|---|---|---|")
print(f"| `lerar run` | {local_s:.1f} s | — |\n| `lerar run --executor slurm` | {slurm_s:.1f} s ({slurm_s / local_s:.2f}×) | {same} of {total} files byte for byte |\n")
print("| level | tasks | wait before its first task (s) | level wall (s) | its tasks' step time, sum (s) | Slurm's cost per task (s) |\n|---|---|---|---|---|---|")
previous = 0.0
per_task, waits = [], []
for level in timeline:
    logs = glob.glob(os.path.join(root, f"cluster/slurm/logs/level-{level['level']}-{level['job']}_*.log"))
    step = 0.0
    for path in logs:
        m = re.findall(r"steps? done in ([0-9.]+) s", open(path, errors="replace").read())
        step += float(m[-1]) if m else 0.0
    first, finished = level.get("firstStarted") or 0, level.get("finished") or 0
    # Both ends are read at 0.5 s looks: a shorter wait is shown as < 0.5 (and counted as 0.5 in the estimate).
    wait = first - max(previous, level["submitted"])
    waits.append(max(wait, 0.5))
    # Two tasks run at once (2 CPUs): what the level took beyond its steps' own time, per task.
    cost = (2 * (finished - first) - step) / level["tasks"] if level["tasks"] >= 4 else float("nan")
    if level["tasks"] >= 4: per_task.append(cost)
    print(f"| {level['name']} | {level['tasks']} | {'< 0.5' if wait < 0.5 else f'{wait:.1f}'} | {finished - first:.1f} | {step:.1f} | {cost:.1f} |".replace("| nan |", "| — |"))
    previous = finished
plan = json.load(open(os.path.join(root, "season-plan.json")))
print(f"\n## The plan of a 2,000-light season\n\n500 lights per filter (LRGB), 20 bias, 15 darks, 15 flats and 15 dark-flats per filter as the simulator writes them; "
      f"`lerar plan --json`: {len(plan['steps'])} steps, {os.path.getsize(os.path.join(root, 'season-plan.json')) / 1e6:.1f} MB, made in {plan_s:.1f} s; "
      f"one `lerar step` task that finds its work done takes {step_s:.1f} s (it reads the plan and every light's header).\n")
plan8 = json.load(open(os.path.join(root, "season-plan-8.json")))
print("| level | steps | array tasks (defaults: --max-array 1000) | array tasks with --frames-per-task 8 |\n|---|---|---|---|")
for level, level8 in zip(plan["levels"], plan8["levels"]):
    print(f"| {level['index']} {level['name']} | {sum(len(t) for t in level['tasks'])} | {len(level['tasks'])} | {len(level8['tasks'])} |")
print(f"| **{len(plan['levels'])} job arrays** | {len(plan['steps'])} | {sum(len(l['tasks']) for l in plan['levels'])} | {sum(len(l['tasks']) for l in plan8['levels'])} |")
plan = plan8
# Per-frame costs, s on 2 cores, from the 24 × 4096² row of docs/performance-table.md (its masters: 20 bias, 15 darks,
# 15 flats, 15 dark-flats, 65 frames).
row = next(l for l in open("docs/performance-table.md") if l.startswith("| 24 × 4096²"))
stage = {k.strip(): float(v) for k, v in re.findall(r"([A-Za-z ]+?) ([0-9.]+) s", row.split("|")[-2])}
per = {"master": stage["masters"] / 65, "calibrate": stage["calibrate"] / 24, "register": stage["register"] / 24,
       "lnref": stage["LN reference"], "normalize": stage["normalize"] / 24, "integrate": stage["integrate"] / 24}
level_wait = sum(waits[1:]) / max(1, len(waits) - 1)
task_cost = sum(per_task) / max(1, len(per_task)) + step_s
def estimate(nodes, integrate_speedup):
    slots = nodes * 8           # 2-core tasks, 8 on a 16-core node
    rows, total = [], 0.0
    frames = {"L": 500, "R": 500, "G": 500, "B": 500}
    for level in plan["levels"]:
        kind, tasks = level["kind"], level["tasks"]
        steps = [plan_step for plan_step in tasks]
        if kind == "master":
            seconds = max(len(next(s for s in plan["steps"] if s["id"] == t[0])["inputs"]) * per["master"] for t in tasks)
        elif kind in ("calibrate", "register", "normalize"):
            per_task = max(len(t) for t in tasks) * per[kind] + task_cost
            seconds = math.ceil(len(tasks) / slots) * per_task
        elif kind == "lnref":
            seconds = math.ceil(len(tasks) / slots) * per["lnref"]
        elif kind == "integrate":
            # A stack's frames on one node: 500 × the 2-core cost, sped up by its cores.
            seconds = math.ceil(len(tasks) / nodes) * 500 * per["integrate"] / integrate_speedup
        else:
            seconds = 24.0      # autocrop, finish and report of 4096² masters (docs/finish-table.md: ~24 s)
        seconds += level_wait
        rows.append((level["name"], seconds)); total += seconds
    return rows, total
one, one_total = estimate(1, 4.1)
ten, ten_total = estimate(10, 4.1)
print(f"\n## Estimated wall time of that season at 4096²\n\nPer-frame costs on 2 cores from docs/performance-table.md (24 × 4096²): "
      + ", ".join(f"{k} {v:.2f} s" for k, v in per.items())
      + f"; the plan with --frames-per-task 8; array tasks of 2 cores, 8 per 16-core node, each paying {task_cost:.1f} s beyond its steps "
      f"(Slurm's cost per task above, plus the {step_s:.1f} s a task of this plan spends reading it and the headers); an integration task takes "
      f"a whole node (--stack-cores 16), 4.1× faster than on 2 cores (2 → 16 cores on 24 × 2048², issue 15); {level_wait:.1f} s of scheduling per level as measured above. "
      "The integration of each filter's 500 frames on one node bounds the 10-node time.\n")
print("| level | 1 node (s) | 10 nodes (s) |\n|---|---|---|")
for (name, a), (_, b) in zip(one, ten):
    print(f"| {name} | {a:.0f} | {b:.0f} |")
print(f"| **total** | **{one_total:.0f}** ({one_total / 60:.1f} min) | **{ten_total:.0f}** ({ten_total / 60:.1f} min, {one_total / ten_total:.1f}× faster) |")
PY
cat "$OUT"
