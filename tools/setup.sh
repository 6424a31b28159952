# tools/setup.sh: shared by tools/demo and tools/test (sourced, not run).
# Makes sure the Debian packages synalign needs are installed, configures
# build/ once and brings it up to date. Expects the caller to have cd'ed to
# the repository root. Quick and idempotent when everything is in place.
# SPDX-License-Identifier: MIT

SA_PACKAGES=(meson ninja-build pkg-config gcc clang libuv1-dev libhdf5-dev
             hdf5-tools check libjansson-dev libopenblas-dev libcairo2-dev
             zlib1g-dev
             openmpi-bin libopenmpi-dev valgrind python3-h5py python3-numpy
             python3-matplotlib chromium curl)

# Install (as root) or name (otherwise) the missing packages.
sa_check_packages() {
  local p st missing=()
  for p in "${SA_PACKAGES[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || st=
    [[ $st == "install ok installed" ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -eq 0 ]]; then
    echo "installing: ${missing[*]}" >&2
    if ! { apt-get update -qq &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; }; then
      echo "error: apt-get install failed" >&2
      exit 1
    fi
  else
    echo "missing Debian packages; install them with:" >&2
    echo "sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
}

# meson setup DIR [OPTIONS...] unless DIR is configured already (ninja
# re-runs meson by itself when a meson.build changes).
sa_configure() {
  local dir=$1
  shift
  [[ -f $dir/build.ninja && -f $dir/meson-private/coredata.dat ]] && return 0
  if [[ -f $dir/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

# Packages, configure, build. Returns non-zero if the build fails.
sa_setup() {
  sa_check_packages
  sa_configure build || return 1
  ninja -C build
}
