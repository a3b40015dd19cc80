#!/usr/bin/env bash
# bench/run.sh: silo's start-up cost, side by side with the tools a user would pick instead.
#
#   bench/run.sh            install what is missing, publish silo if needed, measure, write
#                           bench/RESULTS.md (and bench/chart.png where gnuplot is there)
#
# Environment: BENCH_RUNS (runs per command, default 30), BENCH_WARMUP (default 3),
# BENCH_PUBLISH=1 (publish silo even when artifacts/silo/silo exists), BENCH_ONLY (a comma list
# of the groups to measure: peers, stages, rootfs, binds, trace; for trying a change to this script
# or to report.py quickly, e.g. BENCH_ONLY=stages BENCH_RUNS=2 BENCH_WARMUP=0 bench/run.sh: the
# report then goes to bench/work/RESULTS.md, and bench/RESULTS.md is left as it is).
#
# Needs the .NET 10 SDK (`dotnet`), which it does not install; the rest comes from apt.
#
# Everything is measured in one run of this script, on the same machine, with hyperfine (wall
# time from start to exit) and GNU time (peak resident memory). The tools are given the
# namespaces of the stages that `silo stages` lists, so the comparison grows as stages land.
# The peers run as an unprivileged user (uid 65534), the way a user without root runs them;
# silo's per-stage runs are as root, since most stages alone need privilege.
# No command here uses the network: the net stage's default is loopback only.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="$here/work"
results="$work/results"
silo="$root/artifacts/silo/silo"
runs="${BENCH_RUNS:-30}"
warmup="${BENCH_WARMUP:-3}"
nobody=65534

say() { printf 'bench: %s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
    say "run me as root: I install packages, and silo's stages alone need privilege"
    exit 2
fi

# --- 1. Tools ------------------------------------------------------------------------------------
# hyperfine times; bubblewrap and runc are the peers; time is GNU time for peak memory; python3
# writes the report; gnuplot draws the chart (optional, but installed when it can be);
# busybox-static is the one program in the generated --rootfs trees.
install_missing() {
    # silo's own prerequisites (README) too: gcc for the publish (the clone trampoline), uidmap for
    # the user stage, libseccomp2 for seccomp.
    local packages=(hyperfine bubblewrap runc time python3 util-linux uidmap libseccomp2 gnuplot-nox
        busybox-static gcc)
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        say "installing ${missing[*]}"
        apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# The SDK is not in Debian's archive, so it is checked rather than installed.
require_dotnet() {
    if ! command -v dotnet >/dev/null || ! dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then
        say "no .NET 10 SDK (dotnet): install dotnet-sdk-10.0" \
            "(https://dotnet.microsoft.com/download) and run me again"
        exit 1
    fi
}

# --- 2. What is measured -------------------------------------------------------------------------
publish() {
    if [[ ! -x $silo || ${BENCH_PUBLISH:-0} == 1 ]]; then
        say "publishing silo (dotnet run build.cs -- publish)"
        (cd "$root" && dotnet run build.cs -- publish >&2)
    fi
}

# The yardstick for "within twice an empty .NET console": published the way silo's host is.
publish_empty_console() {
    if [[ ! -x $work/empty-console/empty-console ]]; then
        say "publishing the empty .NET console program"
        dotnet publish "$here/empty-console" -c Release -r linux-x64 --self-contained false \
            -p:PublishReadyToRun=true -o "$work/empty-console" --nologo -v quiet >&2
    fi
}

# The stages this silo has, from `silo stages` ("  on   01 uts   ..."), in learning order.
stages=()
read_stages() {
    mapfile -t stages < <("$silo" stages | awk '$1 == "on" || $1 == "off" { print $3 }')
    say "stages found: ${stages[*]}"
}

has_stage() {
    local s
    for s in "${stages[@]}"; do [[ $s == "$1" ]] && return 0; done
    return 1
}

# The stages a --stages value turns on, as a comma list in learning order, from silo's own listing.
stages_on() {
    "$silo" stages --stages "$1" | awk '$1 == "on" { print $3 }' | paste -sd, -
}

# A --stages value that turns on exactly the given stages (a comma list in learning order; empty
# for none). Naming stages does not turn the others off: the hardening stages that are on by
# default (caps, nonewprivs, seccomp, limits) stay on unless named with a minus, so each of those
# that rides along is turned off by name, and silo's listing confirms the result.
exact_stages() {
    local want="$1" value="$1" s riders
    riders=$(stages_on "$want")
    for s in ${riders//,/ }; do
        [[ ,$want, == *,"$s",* ]] || value+="${value:+,}-$s"
    done
    if [[ $(stages_on "$value") != "$want" ]]; then
        say "--stages $value turns on $(stages_on "$value"), not ${want:-no stage}"
        return 1
    fi
    echo "$value"
}

# A work area the unprivileged user owns: hyperfine's exports and runc's state go there.
rootless="$work/rootless"
prepare_rootless() {
    mkdir -p "$rootless/state" "$results"
    chown -R "$nobody:$nobody" "$rootless"
}

as_nobody() {
    setpriv --reuid=$nobody --regid=$nobody --clear-groups \
        env HOME="$rootless" XDG_RUNTIME_DIR="$rootless/state" "$@"
}

# unshare(1) with the namespaces of silo's stages. As an unprivileged user it needs a user
# namespace; root inside maps to the caller, as with silo's single mapping.
unshare_command() {
    local args=(unshare)
    has_stage user && args+=(--user --map-root-user)
    has_stage uts && args+=(--uts)
    has_stage net && args+=(--net)
    has_stage mount && args+=(--mount)
    if has_stage pid; then
        args+=(--pid --fork)
        has_stage mount && args+=(--mount-proc)
    fi
    echo "${args[*]} /bin/true"
}

# bubblewrap with the same namespaces and a root like silo's default one: the host's /usr read-only,
# the merged-usr links, a fresh /proc, a minimal /dev and an empty /tmp. bwrap always makes a mount
# namespace; it brings loopback up in a new network namespace, as silo's net stage does.
bwrap_command() {
    local args=(bwrap --unshare-user)
    has_stage uts && args+=(--unshare-uts)
    has_stage net && args+=(--unshare-net)
    has_stage pid && args+=(--unshare-pid)
    args+=(--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/sbin /sbin)
    args+=(--symlink usr/lib /lib --symlink usr/lib64 /lib64 --ro-bind /etc /etc)
    has_stage pid && args+=(--proc /proc)
    args+=(--dev /dev --tmpfs /tmp)
    echo "${args[*]} /bin/true"
}

# runc's rootless spec (pid, ipc, uts, mount and user namespaces; plus network when silo has a net
# stage) on a bundle whose root holds the host's /usr, bound read-only, and the merged-usr links.
bundle="$rootless/bundle"
prepare_runc() {
    rm -rf "$bundle"
    mkdir -p "$bundle/rootfs/usr" "$bundle/rootfs/etc"
    ln -s usr/bin "$bundle/rootfs/bin"
    ln -s usr/sbin "$bundle/rootfs/sbin"
    ln -s usr/lib "$bundle/rootfs/lib"
    ln -s usr/lib64 "$bundle/rootfs/lib64"
    chown -R "$nobody:$nobody" "$bundle"
    (cd "$bundle" && as_nobody runc spec --rootless)
    local net=0
    has_stage net && net=1
    python3 - "$bundle/config.json" "$net" <<'EOF'
import json, sys
path, net = sys.argv[1], sys.argv[2] == "1"
spec = json.load(open(path))
spec["process"]["args"] = ["/bin/true"]
spec["process"]["terminal"] = False
if net:
    spec["linux"]["namespaces"].append({"type": "network"})
for host in ("/usr", "/etc"):
    spec["mounts"].append({"destination": host, "type": "bind", "source": host,
                           "options": ["rbind", "ro", "nosuid", "nodev"]})
json.dump(spec, open(path, "w"), indent=1)
EOF
    chown "$nobody:$nobody" "$bundle/config.json"
}

runc_command() {
    echo "runc --root $rootless/state run --bundle $bundle bench-$$"
}

# Root file systems of 1,000, 10,000 and 100,000 files: a static busybox as /bin/true, the
# directories a root needs, and the rest spread over folders of 1,000. silo layers its root over
# such a tree, so its start should not grow with it.
rootfs_sizes=(1000 10000 100000)
prepare_rootfs() {
    local n dir
    for n in "${rootfs_sizes[@]}"; do
        dir="$work/rootfs-$n"
        [[ -f $dir/.complete ]] && continue
        say "generating $dir"
        rm -rf "$dir"
        mkdir -p "$dir"/{bin,dev,etc,proc,sys,tmp,run,usr,var,root,home}
        cp /bin/busybox "$dir/bin/busybox"
        ln -s busybox "$dir/bin/true"
        ln -s busybox "$dir/bin/sh"
        python3 - "$dir" "$n" <<'EOF'
import os, sys
root, total = sys.argv[1], int(sys.argv[2])
made = sum(len(files) + len(dirs) for _, dirs, files in os.walk(root))
for i in range(total - made):
    folder = os.path.join(root, "usr", "share", "bench", f"d{i // 1000:04d}")
    if i % 1000 == 0:
        os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"f{i % 1000:04d}"), "w") as f:
        f.write("x")
EOF
        touch "$dir/.complete"
    done
}

bind_counts=(0 10 100)
prepare_binds() {
    local i
    for ((i = 0; i < 100; i++)); do mkdir -p "$work/binds/b$i"; done
}

bind_args() {
    local i out=""
    for ((i = 0; i < $1; i++)); do out+=" --bind $work/binds/b$i:/srv/bench/b$i:ro"; done
    echo "$out"
}

# --- 3. Measuring --------------------------------------------------------------------------------
# hyperfine over a set of named commands, in one invocation so they share the machine's state.
# Arguments: the export name, the user ("root" or "nobody"), then name=command pairs.
time_group() {
    local name="$1" user="$2" args=(-N --warmup "$warmup" --runs "$runs" --style basic)
    local export="$rootless/$name.json"
    shift 2
    local pair
    : >"$results/$name.commands.tsv"
    for pair in "$@"; do
        args+=(-n "${pair%%=*}" "${pair#*=}")
        printf '%s\t%s\n' "${pair%%=*}" "${pair#*=}" >>"$results/$name.commands.tsv"
    done
    say "timing: $name ($# commands, $runs runs each)"
    local try
    for try in 1 2; do
        if [[ $user == nobody ]]; then
            as_nobody hyperfine "${args[@]}" --export-json "$export" >&2 && break
        else
            hyperfine "${args[@]}" --export-json "$export" >&2 && break
        fi
        # One failed run out of hundreds has been seen (silo exit 125 with the largest rootfs, not
        # reproduced by hand): the group is measured again once, and the report says so.
        ((try == 2)) && return 1
        say "a run in $name failed; measuring the group again"
        echo "$name" >>"$results/retried.txt"
    done
    cp "$export" "$results/$name.json"
}

# Peak resident memory (kB) of each command's largest process, the median of five runs.
memory_group() {
    local name="$1" user="$2" pair
    local out="$results/$name.memory.tsv"
    shift 2
    : >"$out"
    say "memory: $name"
    for pair in "$@"; do
        local samples=() i kb
        # The command is split into words on purpose, as hyperfine -N splits it (no shell).
        # shellcheck disable=SC2086
        for ((i = 0; i < 5; i++)); do
            if [[ $user == nobody ]]; then
                kb=$(as_nobody /usr/bin/time -f %M ${pair#*=} 2>&1 >/dev/null | tail -n 1)
            else
                kb=$(/usr/bin/time -f %M ${pair#*=} 2>&1 >/dev/null | tail -n 1)
            fi
            samples+=("$kb")
        done
        printf '%s\t%s\n' "${pair%%=*}" \
            "$(printf '%s\n' "${samples[@]}" | sort -n | sed -n 3p)" >>"$out"
    done
}

# silo's own --trace timestamps (ms since the process started), twenty runs, all stages, as root.
trace_runs() {
    local i
    say "trace: 20 runs of silo --trace"
    rm -f "$results"/trace-*.txt
    for ((i = 0; i < 20; i++)); do
        local start=$EPOCHREALTIME
        "$silo" --trace -- /bin/true 2>"$results/trace-$i.txt"
        local end=$EPOCHREALTIME
        # Wall time of the run, in ms, to see what happens after the target's exit is reported.
        echo "wall ${start/./} ${end/./}" >>"$results/trace-$i.txt"
    done
}

main() {
    local only="${BENCH_ONLY:-peers,stages,rootfs,binds,trace}" group
    for group in ${only//,/ }; do
        if [[ ! ,peers,stages,rootfs,binds,trace, == *,"$group",* ]]; then
            say "BENCH_ONLY: unknown group '$group'; the groups are peers, stages, rootfs," \
                "binds, trace"
            exit 2
        fi
    done
    wanted() { [[ ,$only, == *,"$1",* ]]; }
    # A part of the benchmark is no result to keep: its report goes beside the measurements.
    local report_to="$here/RESULTS.md"
    [[ -n ${BENCH_ONLY:-} ]] && report_to="$work/RESULTS.md"

    require_dotnet
    install_missing
    publish
    read_stages
    rm -rf "$results"
    prepare_rootless

    {
        echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "kernel=$(uname -r)"
        echo "cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
        echo "cores=$(nproc)"
        echo "memory=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
        # shellcheck disable=SC1091
        echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
        echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
        echo "dotnet=$(dotnet --version)"
        echo "versions=$(hyperfine --version | head -1); $(bwrap --version);" \
            "$(runc --version | head -1); $(unshare --version)"
        echo "stages=${stages[*]}"
        echo "runs=$runs"
        echo "warmup=$warmup"
        echo "only=${BENCH_ONLY:-}"
    } >"$results/machine.txt"

    local all s
    all=$(IFS=,; echo "${stages[*]}")
    if wanted peers; then
        # silo with every stage it has (its default), and with the five namespace stages only,
        # which is exactly what unshare, bwrap and runc are given: the hardening stages, on by
        # default, are turned off by name for that row.
        local namespaces=""
        for s in uts pid user mount net; do has_stage "$s" && namespaces+="${namespaces:+,}$s"; done
        namespaces=$(exact_stages "$namespaces")
        publish_empty_console
        prepare_runc
        local peers=(
            "silo=$silo -- /bin/true"
            "silo, namespace stages only=$silo --stages $namespaces -- /bin/true"
            "unshare=$(unshare_command)"
            "bwrap=$(bwrap_command)"
            "runc=$(runc_command)"
            "empty .NET console=$work/empty-console/empty-console"
            "/bin/true=/bin/true"
        )
        time_group peers nobody "${peers[@]}"
        memory_group peers nobody "${peers[@]}"
    fi

    if wanted stages; then
        # Each stage alone, and none (every stage off: the host's fixed cost of a clone and
        # silo-init); each row's --stages value is checked to turn on exactly that stage.
        local value
        value=$(exact_stages "")
        local alone=("no stage=$silo --stages $value -- /bin/true")
        for s in "${stages[@]}"; do
            value=$(exact_stages "$s")
            alone+=("$s=$silo --stages $value -- /bin/true")
        done
        alone+=("all=$silo --stages $all -- /bin/true")
        time_group stages root "${alone[@]}"
        memory_group stages root "${alone[@]}"
    fi

    if ! has_stage mount; then
        say "no mount stage yet: --rootfs and --bind are not measured"
    else
        local n
        if wanted rootfs; then
            prepare_rootfs
            local sizes=("host root=$silo -- /bin/true")
            for n in "${rootfs_sizes[@]}"; do
                sizes+=("$n files=$silo --rootfs $work/rootfs-$n -- /bin/true")
            done
            time_group rootfs root "${sizes[@]}"
        fi
        if wanted binds; then
            prepare_binds
            local binds=()
            for n in "${bind_counts[@]}"; do
                binds+=("$n binds=$silo$(bind_args "$n") -- /bin/true")
            done
            time_group binds root "${binds[@]}"
        fi
    fi

    wanted trace && trace_runs
    echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$results/machine.txt"

    python3 "$here/report.py" "$results" "$here" "$report_to"
    if command -v gnuplot >/dev/null && [[ -f $results/chart.gp ]]; then
        gnuplot "$results/chart.gp"
    fi
    say "wrote ${report_to#"$root"/}"
}

main "$@"
