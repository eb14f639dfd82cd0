#!/usr/bin/env bash
# bench-all.sh [STACKS] [RUNS]: times one kdecl render --all of STACKS
# stacks in 3 environments each (dev, staging, prod), each stack the
# 10 apps of ../shared/perf/gen's workload, against one process per
# render: kdecl render into a deploy directory, kdecl render -o -, and
# helm template of the generator's chart of the same apps, STACKS x 3
# times in a shell loop. Prints the median of RUNS runs and the ratios.
# Needs bin/kdecl (make build), Go (for the generator) and helm on PATH
# (go install helm.sh/helm/v3/cmd/helm@v3.22.0). From the project root:
#   .ci/bench-all.sh 100 3
# and, to leave the disk out (the workload and its deploy directories
# on tmpfs): TMPDIR=/dev/shm .ci/bench-all.sh 100 3
set -euo pipefail
stacks=${1:-100}; runs=${2:-3}
kdecl=${KDECL:-$PWD/bin/kdecl}
gen=${GEN:-$PWD/../shared/perf/gen}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$gen" && go run . -n 10 -o "$work/w") >/dev/null
repo=$work/repo
mkdir -p "$repo/cue.mod"
printf 'module: "example.com/bench"\nlanguage: version: "v0.17.0"\n' >"$repo/cue.mod/module.cue"
cat >"$repo/kdecl.cue" <<'CUE'
package kdecl

stacks: [Name=_]: environments: [Env=_]: {tags: ["env=\(Env)"], output: "deploy/\(Name)/\(Env)"}
CUE
: >"$work/each.sh"; : >"$work/stdout.sh"; : >"$work/helm.sh"
for i in $(seq 0 $((stacks - 1))); do
  s=$(printf 's%03d' "$i")
  mkdir -p "$repo/$s"
  sed "s/^package bench/package $s/" "$work/w/kdecl/stack.cue" >"$repo/$s/stack.cue"
  printf 'package %s\n\n_env: *"dev" | string @tag(env)\nnamespace: "%s-\\(_env)"\n' "$s" "$s" >"$repo/$s/env.cue"
  echo "stacks: $s: environments: {dev: {}, staging: {}, prod: {}}" >>"$repo/kdecl.cue"
  for e in dev staging prod; do
    echo "$kdecl render $s -t env=$e -o deploy/$s/$e -q" >>"$work/each.sh"
    echo "$kdecl render $s -t env=$e -o - >/dev/null" >>"$work/stdout.sh"
    echo "helm template $s-$e $work/w/helm/chart --namespace $s-$e >/dev/null" >>"$work/helm.sh"
  done
done
declare -A cmd=(
  [kdecl-all]="rm -rf deploy && $kdecl render --all -q"
  [kdecl-all-unchanged]="$kdecl render --all -q"
  [kdecl-each]="rm -rf deploy && sh -e $work/each.sh"
  [kdecl-each-unchanged]="sh -e $work/each.sh"
  [kdecl-each-stdout]="sh -e $work/stdout.sh"
  [helm-each]="sh -e $work/helm.sh"
)
order="kdecl-all kdecl-all-unchanged kdecl-each kdecl-each-unchanged kdecl-each-stdout helm-each"
declare -A median
printf '%-22s %8s %8s %8s %10s\n' "renders=$((stacks * 3))" min median max "peak MiB"
for k in $order; do
  c=${cmd[$k]}
  case $k in helm*) command -v helm >/dev/null || { echo "$k: no helm on PATH"; continue; };; esac
  (cd "$repo" && sh -c "$c") >/dev/null 2>&1 || { echo "$k: failed: $c"; continue; } # warm-up
  ts=(); rss=0
  for _ in $(seq "$runs"); do
    (cd "$repo" && /usr/bin/time -f '%e %M' -o "$work/t" sh -c "$c") >/dev/null 2>&1
    read -r t kb <"$work/t"; ts+=("$t"); ((kb > rss)) && rss=$kb
  done
  sorted=$(printf '%s\n' "${ts[@]}" | sort -n)
  median[$k]=$(echo "$sorted" | sed -n "$(((runs + 1) / 2))p")
  printf '%-22s %8s %8s %8s %10d\n' "$k" "$(echo "$sorted" | head -1)" "${median[$k]}" "$(echo "$sorted" | tail -1)" $((rss / 1024))
done
ratio() { [ -n "${median[$1]:-}" ] && [ -n "${median[$2]:-}" ] && awk -v a="${median[$1]}" -v b="${median[$2]}" -v n="$1 / $2" 'BEGIN { printf "%-44s %6.1fx\n", n, a / b }'; }
# fresh directories cost what their 9,300 files cost the file system;
# unchanged ones and streams, the renders themselves
ratio kdecl-each kdecl-all || true
ratio kdecl-each-unchanged kdecl-all-unchanged || true
ratio kdecl-each-stdout kdecl-all-unchanged || true
ratio helm-each kdecl-all || true
ratio helm-each kdecl-all-unchanged || true
ratio helm-each kdecl-each-stdout || true
