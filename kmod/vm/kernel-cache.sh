# shellcheck shell=bash
# Kernels cached outside the checkout: ${BIGBUF_CACHE:-/var/cache/bigbuf}/kernels/<kver>/ holds
# bzImage (or vmlinuz), lib/modules/<kver>/ (modules.dep from depmod -b), build/ (the build
# tree or headers, KDIR for module builds) and .ready once complete. kmod/vm/debug-kernel makes
# them. Sourced by lib.sh. The kernel_* helpers are defined only where lib.sh does not define
# them already (branch k73 defines the same names for its 7.3 guest kernel).

# shellcheck disable=SC2034 # used by the scripts that source lib.sh
KERNEL_CACHE_DIR=${BIGBUF_CACHE:-/var/cache/bigbuf}/kernels

# Cache directory of KVER if that kernel is cached and complete.
cached_kernel_dir() {
    local d=$KERNEL_CACHE_DIR/$1
    [[ -n $1 && $1 != */* && -e $d/.ready ]] && printf '%s\n' "$d"
}

declare -F kernel_image >/dev/null || kernel_image() {
    local d f
    if d=$(cached_kernel_dir "$1"); then
        for f in "$d/bzImage" "$d/vmlinuz"; do
            [[ -r $f ]] && { printf '%s\n' "$f"; return 0; }
        done
        return 1
    fi
    printf '%s\n' "/boot/vmlinuz-$1"
}

declare -F kernel_modules_dir >/dev/null || kernel_modules_dir() {
    local d
    if d=$(cached_kernel_dir "$1"); then printf '%s\n' "$d/lib/modules/$1"; return 0; fi
    printf '%s\n' "/lib/modules/$1"
}

declare -F kernel_build_dir >/dev/null || kernel_build_dir() {
    local d
    if d=$(cached_kernel_dir "$1"); then printf '%s\n' "$d/build"; return 0; fi
    readlink -f "/lib/modules/$1/build"
}

# True if module builds for KVER must run in the trixie root (kmod/vm/trixie-root): kernels
# built there, whose kbuild tools need trixie's glibc and whose modules trixie's gcc.
declare -F kernel_needs_trixie >/dev/null || kernel_needs_trixie() {
    cached_kernel_dir "$1" >/dev/null
}

# The kernel config of KVER: the cached kernel's, else Debian's in /boot.
kernel_config_file() {
    local d
    if d=$(cached_kernel_dir "$1") && [[ -r $d/config ]]; then printf '%s\n' "$d/config"; return 0; fi
    printf '%s\n' "/boot/config-$1"
}

# True if KVER was built with CONFIG_$2=y.
kernel_has_config() {
    grep -qx "CONFIG_$2=y" "$(kernel_config_file "$1")" 2>/dev/null
}
