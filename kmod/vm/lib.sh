# shellcheck shell=bash
# Common helpers for the kmod/vm harness. Sourced, not executed.

# Paths: the repository is two levels above this directory (never hard-code a checkout path).
# shellcheck disable=SC2034 # used by the scripts that source this file
VM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(cd "$VM_DIR/../.." && pwd -P)"
KMOD_DIR="$REPO_DIR/kmod"
BUILD_DIR="$REPO_DIR/build/vm"

# Kernel flavours we test: the one of the linux-image-amd64 metapackage (6.1 on bookworm)
# and the newest installed 6.12 backport.
readonly KERNEL_METAPACKAGE=linux-image-amd64
readonly KERNEL_BACKPORT_SERIES=6.12
readonly KERNEL_FLAVOUR_SUFFIX=+deb12-amd64
# Package-name pattern for flavours we never test (realtime, cloud, debug symbols, unsigned).
readonly KERNEL_EXCLUDE_RE='-(rt|cloud|dbg|unsigned)'

die() { printf '%s: error: %s\n' "${PROG:-${0##*/}}" "$*" >&2; exit 2; }
warn() { printf '%s: %s\n' "${PROG:-${0##*/}}" "$*" >&2; }
info() { printf '%s: %s\n' "${PROG:-${0##*/}}" "$*" >&2; }

# A guest kernel is usable when its image, module tree and headers (build link) exist.
kernel_usable() {
    local kver=$1
    [[ -r /boot/vmlinuz-$kver && -r /lib/modules/$kver/modules.dep && -e /lib/modules/$kver/build/Makefile ]]
}

# The full version the metapackage linux-image-amd64 points at (e.g. 6.1.0-56-amd64), or nothing.
metapackage_kernel() {
    local dep
    dep=$(dpkg-query -W -f='${Depends}' "$KERNEL_METAPACKAGE" 2>/dev/null) || return 0
    # Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)
    sed -n 's/^.*linux-image-\([0-9][^ ,]*-amd64\).*$/\1/p' <<<"$dep" | head -n1
}

# Newest installed kernel of the backport series (e.g. 6.12.117+deb12-amd64), or nothing.
newest_backport_kernel() {
    local d kver
    for d in /lib/modules/"$KERNEL_BACKPORT_SERIES".*"$KERNEL_FLAVOUR_SUFFIX"; do
        [[ -d $d ]] || continue
        kver=${d##*/}
        [[ $kver =~ $KERNEL_EXCLUDE_RE ]] && continue
        kernel_usable "$kver" && printf '%s\n' "$kver"
    done | sort -V | tail -n1
}

# The kernels to test, one per line.
list_kernels() {
    local k
    k=$(metapackage_kernel)
    if [[ -n $k ]] && kernel_usable "$k"; then printf '%s\n' "$k"; fi
    k=$(newest_backport_kernel)
    if [[ -n $k ]]; then printf '%s\n' "$k"; fi
}

# Map "6.1" / "6.12" / a full version to an installed full version. Prints it or fails.
resolve_kernel() {
    local want=$1 k
    # "debug": the debug kernel of the current sources and fragment, built first if not cached.
    if [[ $want == debug ]]; then "$VM_DIR/debug-kernel"; return; fi
    if cached_kernel_dir "$want" >/dev/null; then printf '%s\n' "$want"; return 0; fi
    if [[ -d /lib/modules/$want ]]; then
        kernel_usable "$want" || die "kernel $want is installed incompletely (need /boot/vmlinuz-$want, modules, headers); run kmod/vm/setup"
        printf '%s\n' "$want"; return 0
    fi
    [[ $want =~ ^[0-9]+\.[0-9]+$ ]] || die "unknown kernel '$want' (expected a short series like 6.1 or 6.12, or an installed version: $(list_kernels | tr '\n' ' '))"
    # Prefer the tested kernels, then any other installed, usable kernel of that series.
    k=$(list_kernels | grep -F -- "$want." | head -n1 || true)
    if [[ -z $k ]]; then
        k=$(find /lib/modules -mindepth 1 -maxdepth 1 -name "$want.*" -printf '%f\n' | grep -Ev -- "$KERNEL_EXCLUDE_RE" | sort -V |
            while read -r c; do kernel_usable "$c" && printf '%s\n' "$c"; done | tail -n1 || true)
    fi
    [[ -n $k ]] || die "no installed kernel of series $want (installed: $(list_kernels | tr '\n' ' ')); run kmod/vm/setup"
    # grep -F "6.1." also matches "16.1."; make sure the match is a prefix.
    [[ $k == "$want".* ]] || die "no installed kernel of series $want"
    printf '%s\n' "$k"
}

# Run "$@" while holding an exclusive lock on file $1 (serialises concurrent builds of the same artefact).
with_lock() {
    local lockfile=$1; shift
    mkdir -p "$(dirname "$lockfile")"
    (
        flock -x 9
        "$@"
    ) 9>"$lockfile"
}

ensure_build_dir() {
    mkdir -p "$REPO_DIR/build"
    if [[ ! -e $REPO_DIR/build/.gitignore ]]; then
        printf '*\n!.gitignore\n' >"$REPO_DIR/build/.gitignore"
    fi
    mkdir -p "$BUILD_DIR"
}

# Adds one suite's result row (RESULT PASS/FAIL, PASSED, FAILED; counts may be "-") to the check
# totals CHECKS_PASSED / CHECKS_FAILED of the runner's last "N passed, M failed" line. A suite
# that failed without a failure count of its own counts as one failed check.
tally_checks() {
    local result=$1 passed=$2 failed=$3
    if [[ $passed =~ ^[0-9]+$ ]]; then CHECKS_PASSED=$((CHECKS_PASSED + passed)); fi
    if [[ $failed =~ ^[0-9]+$ ]] && ((failed > 0)); then
        CHECKS_FAILED=$((CHECKS_FAILED + failed))
    elif [[ $result != PASS ]]; then
        CHECKS_FAILED=$((CHECKS_FAILED + 1))
    fi
}

# shellcheck source=kernel-cache.sh
source "$VM_DIR/kernel-cache.sh"
